using VNet.Host.CommandLine;

namespace VNet.Host.Tests.CommandLine;

/// <summary>Completion of local verbs from the command tree (no node answers here: 127.0.0.1:1 refuses).</summary>
public sealed class ShellCompletionTests
{
    private static Task<IReadOnlyList<string>> Complete(params string[] words) => ShellCompletion.CompleteAsync(["-H", "127.0.0.1:1", .. words]);

    [Fact]
    public async Task The_first_word_completes_to_a_verb()
    {
        Assert.Equal(["lab"], await Complete("la"));
        Assert.Contains("experiment", await Complete(""));
        Assert.DoesNotContain("complete", await Complete(""));
    }

    [Fact]
    public async Task A_verb_completes_to_its_subcommands()
    {
        Assert.Equal(["inspect", "iperf"], await Complete("lab", "i"));
        Assert.Equal(["init", "issue"], await Complete("pki", ""));
    }

    [Fact]
    public async Task A_dash_completes_to_the_switches_of_the_verb()
    {
        var switches = await Complete("lab", "pingall", "--");
        Assert.Contains("--count", switches);
        Assert.Contains("--lab", switches);
        Assert.Contains("--help", switches);
        Assert.DoesNotContain("--format", switches);
    }

    [Fact]
    public async Task A_switch_with_fixed_values_completes_to_them()
    {
        Assert.Equal(["dot", "mermaid"], await Complete("lab", "graph", "--format", ""));
        Assert.Equal(["bash"], await Complete("completion", ""));
    }

    [Fact]
    public async Task File_arguments_complete_to_the_lab_and_experiment_files_of_the_repository()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repo.FullName, "VNet.Actors.sln"))) repo = repo.Parent!;
        Assert.Equal(["three-hosts", "two-hosts"], await ShellCompletion.CompleteAsync(["lab", "up", "t"], directory: repo.FullName));
        Assert.Contains("experiments/bandwidth-step.xml", await ShellCompletion.CompleteAsync(["experiment", "check", "experiments/"], directory: repo.FullName));
    }

    [Fact]
    public async Task After_a_double_dash_nothing_is_offered()
    {
        Assert.Empty(await Complete("lab", "exec", "vm1", "--", ""));
    }

    [Fact]
    public void The_bash_script_calls_the_binary_back_with_the_words()
    {
        var script = ShellCompletion.Script("bash", "/opt/vnet/VNet.Host");
        Assert.Contains("'/opt/vnet/VNet.Host' complete -- \"${COMP_WORDS[@]:1:COMP_CWORD}\"", script);
        Assert.Contains("complete -o default -F _vnet vnet", script);
    }
}
