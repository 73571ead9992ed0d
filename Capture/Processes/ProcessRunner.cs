using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace VNet.Capture.Processes;

/// <summary>What a program printed and how it ended.</summary>
/// <param name="ExitCode">Its exit code (0 = success).</param>
/// <param name="Output">Everything it wrote to standard output.</param>
/// <param name="Error">Everything it wrote to standard error.</param>
public sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>
/// A program could not be started: not installed (<see cref="NotInstalled"/>, ENOENT) or not
/// runnable. A <see cref="Win32Exception"/> with the start's error code, so callers that name the
/// cause by that code keep doing so.
/// </summary>
public sealed class ProcessStartException(string program, Win32Exception cause)
    : Win32Exception(cause.NativeErrorCode, $"cannot run {program}: {cause.Message}")
{
    /// <summary>The program that did not start.</summary>
    public string Program { get; } = program;

    /// <summary>Why, as the system said it (e.g. "No such file or directory").</summary>
    public string Reason { get; } = cause.Message;

    /// <summary>True when there is no such executable.</summary>
    public bool NotInstalled => NativeErrorCode == 2;
}

/// <summary>A program ran past its time limit and was killed; the message names the command line.</summary>
public sealed class ProcessTimeoutException(string message) : TimeoutException(message);

/// <summary>How <see cref="ProcessRunner.RunAsync"/> runs a program, beyond its time limit.</summary>
public sealed record ProcessOptions
{
    /// <summary>Variables added to (or, with a null value, removed from) the program's environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Called with each line of standard output as it comes (it is collected too).</summary>
    public Action<string>? OnOutputLine { get; init; }

    /// <summary>
    /// When the time is up or the run is cancelled, first send SIGINT, as Ctrl-C would, so a measuring
    /// tool still prints what it measured, and kill it only when it is still running after this long.
    /// Null: kill at once.
    /// </summary>
    public TimeSpan? InterruptGrace { get; init; }
}

/// <summary>
/// The one way VNet runs other programs (ip, ethtool, virsh, VBoxManage, tcpdump, iperf3, ping), on
/// CliWrap: arguments passed as a list (no shell, no quoting), standard input closed so nothing can
/// wait for it, both output pipes drained together, a time limit, and no process left behind: on
/// timeout or cancellation the program is killed with its children (after SIGINT and a grace period
/// when <see cref="ProcessOptions.InterruptGrace"/> asks for it).
/// </summary>
public static class ProcessRunner
{
    /// <summary>The command line as messages show it: <c>ip link set dev x up</c>.</summary>
    public static string Describe(string program, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(program));

    /// <summary>
    /// Runs <paramref name="program"/> to its end and returns what it printed, whatever its exit code.
    /// Throws <see cref="ProcessStartException"/> when it cannot start, <see cref="ProcessTimeoutException"/>
    /// when it outlives <paramref name="timeout"/> (unless it was interrupted gracefully and ended in the
    /// grace period: then its result, exit code as it left), and <see cref="OperationCanceledException"/>
    /// when <paramref name="cancel"/> fires (likewise).
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancel = default, ProcessOptions? options = null)
    {
        options ??= new ProcessOptions();
        var output = new StringBuilder();
        var error = new StringBuilder();
        var stdout = options.OnOutputLine is { } onLine
            ? PipeTarget.Merge(PipeTarget.ToStringBuilder(output), PipeTarget.ToDelegate(onLine))
            : PipeTarget.ToStringBuilder(output);
        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithStandardInputPipe(PipeSource.Null)
            .WithStandardOutputPipe(stdout)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(error))
            .WithValidation(CommandResultValidation.None);
        if (options.Environment is { } environment) command = command.WithEnvironmentVariables(environment);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        using var forceful = new CancellationTokenSource();
        try
        {
            var running = command.ExecuteAsync(forceful.Token);
            // When the limit fires: the kill at once, or SIGINT first and the kill after the grace
            // period (CliWrap's own graceful cancellation reports a cancellation even when the
            // program then exits by itself, and the exit code is what a measuring tool reports).
            using var stop = options.InterruptGrace is { } grace
                ? limit.Token.Register(() =>
                {
                    Interrupt(running.ProcessId);
                    forceful.CancelAfter(grace);
                })
                : limit.Token.Register(forceful.Cancel);
            var result = await running;
            return new ProcessResult(result.ExitCode, output.ToString(), error.ToString());
        }
        catch (Win32Exception e)
        {
            throw new ProcessStartException(program, e);
        }
        catch (InvalidOperationException e) when (e.InnerException is Win32Exception w)
        {
            throw new ProcessStartException(program, w);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new ProcessTimeoutException($"`{Describe(program, arguments)}` did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }
    }

    /// <summary>
    /// Starts a long-running program and returns its pid without waiting for it (a daemon that
    /// detaches itself, its output redirected by itself). Throws <see cref="ProcessStartException"/>
    /// when it cannot start.
    /// </summary>
    public static int StartDetached(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var command = Cli.Wrap(program).WithArguments(arguments).WithStandardInputPipe(PipeSource.Null).WithValidation(CommandResultValidation.None);
        if (environment is not null) command = command.WithEnvironmentVariables(environment);
        try
        {
            var running = command.ExecuteAsync();
            // Nobody waits for it; its end (or a failure to wait) is nobody's business here.
            _ = running.Task.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return running.ProcessId;
        }
        catch (Win32Exception e)
        {
            throw new ProcessStartException(program, e);
        }
        catch (InvalidOperationException e) when (e.InnerException is Win32Exception w)
        {
            throw new ProcessStartException(program, w);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>SIGINT (2) to the program, as Ctrl-C in its terminal would send.</summary>
    private static void Interrupt(int pid) => SendSignal(pid, 2);

    /// <summary>
    /// <see cref="RunAsync"/> for callers that are not asynchronous (tool calls of the inventory and
    /// the data plane set-up, run off the actors' threads).
    /// </summary>
    public static ProcessResult Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout, ProcessOptions? options = null) =>
        RunAsync(program, arguments, timeout, CancellationToken.None, options).GetAwaiter().GetResult();
}
