using VNet.Capture.Processes;
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
        // ip netns exec execs the tool: the pid is the tool's, and a signal to it reaches the tool.
        try
        {
            var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", netns, .. command], limit, stop,
                new ProcessOptions { OnOutputLine = line, InterruptGrace = TimeSpan.FromSeconds(5) });
            return result.ExitCode;
        }
        catch (ProcessStartException e)
        {
            throw new ShellException($"cannot start {command[0]} in {netns}: {e.Reason}");
        }
        catch (Exception e) when (e is ProcessTimeoutException or OperationCanceledException)
        {
            // It ignored SIGINT for the whole grace period and was killed.
            return -1;
        }
    }
}
