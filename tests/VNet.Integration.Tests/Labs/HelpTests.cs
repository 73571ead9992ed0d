using System.Diagnostics;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Labs;

/// <summary>
/// `--help` on the verbs the `vnet` script runs itself prints their usage and does nothing else:
/// no lab, no namespace, no benchmark build.
/// </summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("demo", "usage: ./vnet demo")]
    [InlineData("bench", "usage: sudo ./vnet bench")]
    [InlineData("test", "usage: ./vnet test")]
    public async Task Help_prints_the_usage_and_changes_nothing(string verb, string usage)
    {
        var namespaces = Shell.Namespaces();
        var labs = LabState.Running().Select(l => l.Id).ToHashSet();
        var benchStamp = Path.Combine(LabSession.RepoRoot, ".run", "bench", ".stamp");
        var benchBuilt = File.Exists(benchStamp) ? File.GetLastWriteTimeUtc(benchStamp) : (DateTime?)null;

        var psi = new ProcessStartInfo(Path.Combine(LabSession.RepoRoot, "vnet")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(verb);
        psi.ArgumentList.Add("--help");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);

        Assert.True(p.ExitCode == 0, $"./vnet {verb} --help: exit {p.ExitCode}\n{await error}");
        Assert.StartsWith(usage, await output);
        Assert.True(Shell.Namespaces().SetEquals(namespaces), "a namespace appeared or vanished");
        Assert.Equal(labs, LabState.Running().Select(l => l.Id).ToHashSet());
        Assert.Equal(benchBuilt, File.Exists(benchStamp) ? File.GetLastWriteTimeUtc(benchStamp) : null);
    }
}
