using System.Diagnostics;
using System.Globalization;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary>
/// A measuring tool (iperf3, ping) running in a lab namespace, its standard output read line by line
/// as it comes. Stopping it early sends SIGINT, as Ctrl-C would, so it still prints what it measured;
/// a tool that does not exit within 5 s of that is killed.
/// </summary>
public static class ProbeProcess
{
    /// <summary>Runs <paramref name="command"/> in <paramref name="netns"/> until it exits, <paramref name="stop"/> fires, or <paramref name="limit"/> passes; returns its exit code (-1 when killed).</summary>
    public static async Task<int> RunAsync(string netns, IReadOnlyList<string> command, Action<string> line, TimeSpan limit, CancellationToken stop)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        // ip netns exec execs the tool: the pid is the tool's, and a signal to it reaches the tool.
        foreach (var a in new[] { "netns", "exec", netns }.Concat(command)) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new ShellException($"cannot start {command[0]} in {netns}");
        process.StandardInput.Close();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } l) line(l);
        });
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Shell.Run("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)], check: false);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                await reading;
                return -1;
            }
        }
        await reading;
        await errors;
        return process.ExitCode;
    }
}
