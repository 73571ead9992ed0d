using System.ComponentModel;
using VNet.Capture.Processes;

namespace VNet.Capture.Inventory;

/// <summary>The result of running an external tool to its end.</summary>
/// <param name="ExitCode">The process exit code; 0 means success.</param>
/// <param name="StandardOutput">Everything the tool wrote to stdout.</param>
/// <param name="StandardError">Everything the tool wrote to stderr.</param>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs an external tool (ip, virsh, VBoxManage) and returns its output. The inventory and the
/// VM providers take one so that tests can feed recorded output instead of running anything.
/// </summary>
public interface ICommandRunner
{
    /// <summary>
    /// Runs <paramref name="tool"/> with <paramref name="arguments"/> (no shell, no quoting) and waits for it.
    /// Throws <see cref="Win32Exception"/> when the tool cannot be started (ENOENT when it is not installed)
    /// and <see cref="TimeoutException"/> when it does not finish in time.
    /// </summary>
    CommandResult Run(string tool, IReadOnlyList<string> arguments);
}

/// <summary>An <see cref="ICommandRunner"/> built from a function; handy for tests and for wrapping.</summary>
public sealed class DelegateCommandRunner(Func<string, IReadOnlyList<string>, CommandResult> run) : ICommandRunner
{
    /// <inheritdoc/>
    public CommandResult Run(string tool, IReadOnlyList<string> arguments) => run(tool, arguments);
}

/// <summary>
/// Runs tools as child processes through <see cref="ProcessRunner"/>. The child gets <c>LC_ALL=C.UTF-8</c>
/// so table headers and error messages are the untranslated ones the parsers and users expect, while
/// non-ASCII VM names survive. Stdin is closed at once so that no tool can wait for input.
/// </summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    /// <summary>How long a tool may run unless told otherwise: long enough for a busy libvirtd.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A runner with <see cref="DefaultTimeout"/>.</summary>
    public static ProcessCommandRunner Default { get; } = new();

    /// <summary>Creates a runner; a tool still running after <paramref name="timeout"/> is killed.</summary>
    public ProcessCommandRunner(TimeSpan? timeout = null) => Timeout = timeout ?? DefaultTimeout;

    /// <summary>How long one tool may run before it is killed and <see cref="TimeoutException"/> thrown.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc/>
    public CommandResult Run(string tool, IReadOnlyList<string> arguments)
    {
        var result = ProcessRunner.Run(tool, arguments, Timeout, new ProcessOptions { Environment = Locale });
        return new CommandResult(result.ExitCode, result.Output, result.Error);
    }

    private static readonly IReadOnlyDictionary<string, string?> Locale = new Dictionary<string, string?> { ["LC_ALL"] = "C.UTF-8" };
}

/// <summary>An external tool failed: not installed, could not start, timed out, or exited non-zero. The message says which.</summary>
public sealed class ExternalToolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An external tool the inventory depends on, with what to install when it is missing.
/// <see cref="Run"/> turns every way a tool can fail into one <see cref="ExternalToolException"/>
/// whose message a user can act on.
/// </summary>
/// <param name="Command">The executable, e.g. <c>virsh</c>.</param>
/// <param name="InstallHint">Where it comes from, e.g. <c>Debian package libvirt-clients</c>.</param>
/// <param name="NeededBy">Who needs it, e.g. <c>the libvirt VM provider</c>.</param>
public sealed record ExternalTool(string Command, string InstallHint, string NeededBy)
{
    /// <summary>ENOENT: what <see cref="Win32Exception.NativeErrorCode"/> holds when the executable does not exist.</summary>
    private const int NoSuchFile = 2;

    /// <summary><c>ip</c> from iproute2.</summary>
    public static ExternalTool Ip(string neededBy) => new("ip", "Debian package iproute2", neededBy);

    /// <summary>Runs the tool and returns its stdout; throws <see cref="ExternalToolException"/> on any failure.</summary>
    public string Run(ICommandRunner runner, params IReadOnlyList<string> arguments)
    {
        var shown = arguments.Count == 0 ? Command : $"{Command} {string.Join(' ', arguments)}";
        CommandResult result;
        try
        {
            result = runner.Run(Command, arguments);
        }
        catch (Win32Exception e) when (e.NativeErrorCode == NoSuchFile)
        {
            throw new ExternalToolException($"{Command} is not installed ({InstallHint}); {NeededBy} needs it", e);
        }
        catch (Win32Exception e)
        {
            throw new ExternalToolException($"{Command} could not be started ({e.Message}); {NeededBy} needs it ({InstallHint})", e);
        }
        catch (FileNotFoundException e)
        {
            throw new ExternalToolException($"{Command} is not installed ({InstallHint}); {NeededBy} needs it", e);
        }
        catch (TimeoutException e)
        {
            throw new ExternalToolException($"'{shown}' did not finish: {e.Message}", e);
        }
        if (result.ExitCode != 0)
        {
            var stderr = result.StandardError.Trim();
            throw new ExternalToolException(
                $"'{shown}' failed with exit code {result.ExitCode}: {(stderr.Length > 0 ? stderr : "(no error output)")}");
        }
        return result.StandardOutput;
    }
}
