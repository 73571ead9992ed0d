using System.Diagnostics;
using VNet.Host.Console;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Console;

/// <summary>
/// <c>link capture</c> as a user runs it: the real <c>vnet</c> binary streaming pcap through a real
/// pipe into tcpdump, one decoded line per frame with <c>--summary</c> at both ends, a closed pipe
/// and Ctrl-C in the console ending the capture on the node, and clear errors for bad outputs and ends.
/// </summary>
public sealed class CaptureStreamTests
{
    private static string Bin => Environment.GetEnvironmentVariable("VNET_HOST_BIN") is { Length: > 0 } b ? b : Path.Combine(LabSession.RepoRoot, ".run", "bin", "VNet.Host");

    /// <summary>Runs a bash pipeline (bounded by <paramref name="seconds"/>); its exit code, output and error.</summary>
    private static async Task<(int Exit, string Output, string Error)> Bash(string script, double seconds = 30)
    {
        var psi = new ProcessStartInfo("bash", ["-c", "set -o pipefail; " + script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"`{script}` did not end within {seconds} s; error so far:\n{await error}");
        }
        return (p.ExitCode, await output, await error);
    }

    private static async Task<(int Exit, string Out, string Err)> Vnet(LabSession lab, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", lab.State.Hosts[0].Socket, .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string HostLog(LabSession lab, string host) => File.ReadAllText(lab.State.Processes.First(p => p.Name == $"vnetd-{host}").Log);

    /// <summary>Waits until <paramref name="host"/> has started its <paramref name="nth"/> capture of l1 (its log says so), so no frame is sent before.</summary>
    private static Task CaptureStarted(LabSession lab, string host, int nth = 1) =>
        lab.WaitUntilAsync(() => Task.FromResult(System.Text.RegularExpressions.Regex.Count(HostLog(lab, host), $@"capture of link l1 on {host} \(\S+\) started") >= nth),
            TimeSpan.FromSeconds(15), $"capture {nth} of l1 to start on {host}");

    private static int Count(IEnumerable<string> lines, string what) => lines.Count(l => l.Contains(what, StringComparison.Ordinal));

    [Fact]
    public async Task Pcap_on_standard_output_piped_into_tcpdump_shows_both_directions_and_summary_shows_both_ends()
    {
        await using var lab = await LabSession.UpAsync("two-hosts");
        var vnet = $"{Shell.Quote(Bin)} -S {Shell.Quote(lab.Socket("h1"))}";

        // pcap through a real pipe: header first, frames as they come, a clean end after --seconds.
        var piped = Bash($"{vnet} link capture --id l1 --file - --seconds 6 --filter icmp | tcpdump -n -r -");
        await CaptureStarted(lab, "h1");
        Assert.Equal(3, Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 3).Received);
        var (exit, output, error) = await piped;
        Assert.True(exit == 0, $"exit {exit}\n{error}");
        var lines = output.Split('\n');
        Assert.Equal(3, Count(lines, "10.250.0.1 > 10.250.0.2: ICMP echo request"));
        Assert.Equal(3, Count(lines, "10.250.0.2 > 10.250.0.1: ICMP echo reply"));
        Assert.Contains("captured 6 frame(s) of link l1 on h1", error); // the text goes to standard error, not into the pcap

        // --summary at both ends: every echo is seen leaving vm1 at h1 and arriving for vm2 at h2.
        var summary = Task.Run(() => Vnet(lab, "link", "capture", "--id", "l1", "--summary", "--end", "both", "--seconds", "6", "--filter", "icmp"));
        await CaptureStarted(lab, "h1", 2);
        await CaptureStarted(lab, "h2");
        Assert.Equal(2, Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 2).Received);
        var decoded = await summary;
        Assert.True(decoded.Exit == 0, decoded.Err);
        var frames = decoded.Out.Split('\n');
        foreach (var end in new[] { "h1", "h2" })
        {
            Assert.Equal(2, frames.Count(l => l.Contains($" {end} ") && l.Contains("IPv4 10.250.0.1 > 10.250.0.2: ICMP echo request id ")));
            Assert.Equal(2, frames.Count(l => l.Contains($" {end} ") && l.Contains("IPv4 10.250.0.2 > 10.250.0.1: ICMP echo reply id ")));
        }
        Assert.Contains($"{lab.Mac("vm1").ToString().ToLowerInvariant()} > {lab.Mac("vm2").ToString().ToLowerInvariant()}", decoded.Out);
        Assert.Contains("captured 8 frame(s) of link l1 on h1 and h2", decoded.Out);
    }

    [Fact]
    public async Task A_closed_pipe_or_ctrl_c_ends_an_open_capture_cleanly_and_stops_it_on_the_node()
    {
        await using var lab = await LabSession.UpAsync("two-hosts");
        var vnet = $"{Shell.Quote(Bin)} -S {Shell.Quote(lab.Socket("h1"))}";

        // No --seconds: the capture runs until its reader goes away; tcpdump -c 2 leaves after two frames.
        var piped = Bash($"{vnet} link capture --id l1 --file - --filter icmp | tcpdump -n -r - -c 2", seconds: 40);
        await CaptureStarted(lab, "h1");
        using var pinging = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ping = Task.Run(() => { while (!piped.IsCompleted && !pinging.IsCancellationRequested) Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 2); });
        var (exit, output, error) = await piped;
        await ping;
        Assert.True(exit == 0, $"exit {exit}\n{error}");
        Assert.Contains("standard output was closed; the command stopped", error);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(": ICMP echo")));
        await lab.WaitUntilAsync(() => Task.FromResult(HostLog(lab, "h1").Contains("capture of link l1 on h1 stopped: its reader went away")), TimeSpan.FromSeconds(10), "h1 to stop the capture");

        // Ctrl-C (SIGINT) on a one-shot capture: exit 0, the file is whole, the node stops.
        var file = Path.Combine(lab.State.Directory, "open.pcap");
        var psi = new ProcessStartInfo(Bin, ["-S", lab.Socket("h1"), "link", "capture", "--id", "l1", "--file", file, "--end", "h2", "--filter", "icmp"])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using (var capture = Process.Start(psi)!)
        {
            var captureError = capture.StandardError.ReadToEndAsync();
            try
            {
                await CaptureStarted(lab, "h2");
                Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 2);
                // The frames reach the file a moment later on a busy machine: Ctrl-C once they are there
                // (at most 5 s), so what is asserted is that the interrupt keeps them and ends cleanly.
                for (var waited = 0; waited < 50 && EchoFrames(file) < 4; waited++) await Task.Delay(100);
                Shell.Run("kill", ["-INT", capture.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await capture.WaitForExitAsync(timeout.Token);
            }
            finally
            {
                if (!capture.HasExited) capture.Kill(entireProcessTree: true);
            }
            error = await captureError;
            Assert.True(capture.ExitCode == 0, $"exit {capture.ExitCode}\n{error}");
        }
        Assert.Contains("stopped (Ctrl-C)", error);
        Assert.Equal(4, EchoFrames(file));
        await lab.WaitUntilAsync(() => Task.FromResult(HostLog(lab, "h2").Contains("capture of link l1 on h2 stopped: its reader went away")), TimeSpan.FromSeconds(10), "h2 to stop the capture");

        // Ctrl-C in the interactive console stops the capture and the prompt comes back.
        var session = $"vnet-cap-{Random.Shared.Next(0x10000):x4}";
        var home = Directory.CreateTempSubdirectory("vnet-cap-").FullName;
        string Screen() => Shell.Run("tmux", ["capture-pane", "-t", session, "-p", "-S", "-200"]).Output;
        async Task<string> WaitFor(Func<string, bool> done, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!done(Screen()))
            {
                if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"waited 15 s for {what}; the terminal shows:\n{Screen()}");
                await Task.Delay(200);
            }
            return Screen();
        }
        Shell.Run("tmux", ["new-session", "-d", "-s", session, "-x", "200", "-y", "50", $"env HOME={Shell.Quote(home)} {vnet}; sleep 60"]);
        try
        {
            var prompt = $"vnet h1@{lab.State.Id}>";
            await WaitFor(s => s.Contains(prompt), "the prompt");
            Shell.Run("tmux", ["send-keys", "-t", session, "link capture --id l1 --summary --end h1 --filter icmp", "Enter"]);
            await CaptureStarted(lab, "h1", 2);
            Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 1);
            await WaitFor(s => s.Contains("ICMP echo reply id"), "the decoded echo reply");
            Shell.Run("tmux", ["send-keys", "-t", session, "C-c"]);
            await WaitFor(s => s.Contains("stopped (Ctrl-C)") && s.TrimEnd().EndsWith(prompt, StringComparison.Ordinal), "the prompt after Ctrl-C");
            await lab.WaitUntilAsync(() => Task.FromResult(System.Text.RegularExpressions.Regex.Count(HostLog(lab, "h1"), "capture of link l1 on h1 stopped: its reader went away") >= 2),
                TimeSpan.FromSeconds(10), "h1 to stop the console's capture");
        }
        finally
        {
            Shell.Run("tmux", ["kill-session", "-t", session], check: false);
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_outputs_and_ends_are_refused_before_anything_is_captured()
    {
        await using var lab = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = true });
        var missing = Path.Combine(lab.State.Directory, "no", "such", "dir", "c.pcap");
        var r = await Vnet(lab, "link", "capture", "--id", "l1", "--file", missing, "--seconds", "1");
        Assert.Equal(2, r.Exit);
        Assert.Contains($"--file {missing}: the directory {Path.GetDirectoryName(missing)} does not exist", r.Err);

        r = await Vnet(lab, "link", "capture", "--id", "l1", "--file", lab.State.Directory, "--seconds", "1");
        Assert.Contains("is a directory, not a file", r.Err);

        r = await Vnet(lab, "link", "capture", "--id", "l1", "--summary", "--end", "h9", "--seconds", "1");
        Assert.Equal(1, r.Exit);
        Assert.Contains("link l1 has no end on host 'h9' (ends: h1, h2)", r.Err);

        r = await Vnet(lab, "link", "capture", "--id", "nope", "--summary", "--seconds", "1");
        Assert.Equal(1, r.Exit);
        Assert.Contains("nope", r.Err);

        r = await Vnet(lab, "link", "capture", "--id", "l1", "--seconds", "1");
        Assert.Equal(2, r.Exit);
        Assert.Contains("name --file PATH (- for standard output) or --summary", r.Err);
    }

    private static int EchoFrames(string file) =>
        File.Exists(file) ? Shell.Run("tcpdump", ["-n", "-r", file], check: false).Output.Split('\n').Count(l => l.Contains("ICMP echo")) : 0;
}
