using VNet.Capture.Processes;
using VNet.Host.Labs;

namespace VNet.Bench.Lab;

/// <summary>
/// Runs a measuring tool (iperf3, ping) to completion, bounded in time and cancellable: on Ctrl-C or
/// timeout the tool is killed (<see cref="ProcessRunner"/>), so an interrupted benchmark never leaves a load generator behind.
/// </summary>
public static class Proc
{
    /// <summary>Runs <paramref name="command"/> inside network namespace <paramref name="netns"/>.</summary>
    public static Task<Shell.Result> InNetnsAsync(string netns, IEnumerable<string> command, TimeSpan timeout, CancellationToken cancel) =>
        RunAsync("ip", new[] { "netns", "exec", netns }.Concat(command).ToList(), timeout, cancel);

    /// <summary>Runs <paramref name="file"/>; throws <see cref="ShellException"/> when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<Shell.Result> RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            var result = await ProcessRunner.RunAsync(file, args, timeout, cancel);
            return new Shell.Result(result.ExitCode, result.Output, result.Error);
        }
        catch (ProcessStartException e)
        {
            throw new ShellException($"cannot start {file}: {e.Reason}");
        }
        catch (ProcessTimeoutException e)
        {
            throw new ShellException(e.Message);
        }
    }
}
