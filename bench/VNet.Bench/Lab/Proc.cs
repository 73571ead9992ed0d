using System.Diagnostics;
using VNet.Host.Labs;

namespace VNet.Bench.Lab;

/// <summary>
/// Runs a measuring tool (iperf3, ping) to completion, bounded in time and cancellable: on Ctrl-C or
/// timeout the tool is killed, so an interrupted benchmark never leaves a load generator behind.
/// </summary>
public static class Proc
{
    /// <summary>Runs <paramref name="command"/> inside network namespace <paramref name="netns"/>.</summary>
    public static Task<Shell.Result> InNetnsAsync(string netns, IEnumerable<string> command, TimeSpan timeout, CancellationToken cancel) =>
        RunAsync("ip", new[] { "netns", "exec", netns }.Concat(command).ToList(), timeout, cancel);

    /// <summary>Runs <paramref name="file"/>; throws <see cref="ShellException"/> when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<Shell.Result> RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancel)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new ShellException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            process.WaitForExit(2000);
            cancel.ThrowIfCancellationRequested();
            throw new ShellException($"`{file} {string.Join(' ', args)}` did not finish within {timeout.TotalSeconds:0} s and was killed");
        }
        return new Shell.Result(process.ExitCode, await stdout, await stderr);
    }
}
