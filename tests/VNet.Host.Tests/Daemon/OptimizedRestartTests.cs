using VNet.Host.Daemon;

namespace VNet.Host.Tests.Daemon;

/// <summary>vnetd restarts itself once with its runtime variables; an operator's value wins.</summary>
public sealed class OptimizedRestartTests
{
    [Fact]
    public void A_daemon_started_without_the_variables_restarts_with_all_of_them()
    {
        var missing = OptimizedRestart.Missing(_ => null);
        Assert.Equal(["DOTNET_TieredCompilation", "DOTNET_GCgen0size", "MALLOC_ARENA_MAX", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"], missing.Select(v => v.Name));
        Assert.Contains(("DOTNET_TieredCompilation", "0"), missing);
        Assert.Contains(("MALLOC_ARENA_MAX", "2"), missing);
    }

    [Fact]
    public void The_restarted_daemon_finds_them_all_and_runs_on()
    {
        var env = OptimizedRestart.Variables.ToDictionary(v => v.Name, v => v.Value);
        Assert.Empty(OptimizedRestart.Missing(env.GetValueOrDefault));
    }

    [Fact]
    public void A_variable_the_operator_set_is_kept_and_only_the_others_are_added()
    {
        var env = new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "8" };
        var missing = OptimizedRestart.Missing(env.GetValueOrDefault);
        Assert.DoesNotContain(missing, v => v.Name == "MALLOC_ARENA_MAX");
        Assert.Equal(OptimizedRestart.Variables.Length - 1, missing.Length);
    }
}
