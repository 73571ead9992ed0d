using VNet.Host.Console;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Console;

/// <summary>
/// The <c>log</c> palette on a lab node: the level shown and changed while the node runs, recent
/// lines then live ones in <c>log tail</c>, and the change reaching the node's own log file too.
/// </summary>
public sealed class LogPaletteTests
{
    private static async Task<(int Exit, string Out, string Err)> Vnet(LabSession lab, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", lab.Socket("h1"), .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Debug_set_at_run_time_shows_debug_lines_in_tail_and_the_log_until_set_back()
    {
        await using var lab = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = false });
        var logFile = lab.State.Processes.First(p => p.Name == "vnetd-h1").Log;

        var r = await Vnet(lab, "log", "level");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("h1 logs at info", r.Out);

        // The recent lines first: the node's INFO lifecycle lines, no DEBUG.
        r = await Vnet(lab, "log", "tail", "--lines", "200", "--seconds", "0.5");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains(" INFO ", r.Out);
        Assert.DoesNotContain(" DEBUG ", r.Out);

        r = await Vnet(lab, "log", "level", "--set", "debug");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("h1 logs at debug now (was info)", r.Out);

        // A tail at debug sees the debug line of another console's request as it is logged.
        var tail = Task.Run(() => Vnet(lab, "log", "tail", "--level", "debug", "--lines", "0", "--seconds", "4"));
        await Task.Delay(1500);
        Assert.Equal(0, (await Vnet(lab, "cluster", "status")).Exit);
        var tailed = await tail;
        Assert.True(tailed.Exit == 0, tailed.Err);
        Assert.Contains(tailed.Out.Split('\n'), l => l.Contains(" DEBUG ") && l.Contains("console request cluster status"));
        await lab.WaitUntilAsync(() => Task.FromResult(File.ReadAllText(logFile).Contains("console request cluster status")), TimeSpan.FromSeconds(5), "the debug line in the node's log file");

        r = await Vnet(lab, "log", "level", "--set", "info");
        Assert.Contains("h1 logs at info now (was debug)", r.Out);
        var quiet = Task.Run(() => Vnet(lab, "log", "tail", "--level", "debug", "--lines", "0", "--seconds", "3"));
        await Task.Delay(1000);
        Assert.Equal(0, (await Vnet(lab, "host", "show")).Exit);
        Assert.DoesNotContain("console request host show", (await quiet).Out);
        Assert.DoesNotContain("console request host show", File.ReadAllText(logFile));

        r = await Vnet(lab, "log", "level", "--set", "verbose");
        Assert.Equal(2, r.Exit);
        Assert.Contains("log level: --set 'verbose' is not a level (debug, info, warning, error)", r.Err);
    }
}
