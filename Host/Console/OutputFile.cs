using VNet.Client;

namespace VNet.Host.Console;

/// <summary>
/// The command's output stopped before its end: the reader of standard output went away (a closed
/// pipe, <c>| tcpdump -c 5</c>, <c>| head</c>), which is a normal end, or the file could not be
/// written. The connection is mid-answer and must be dropped; the node stops the command then.
/// </summary>
public sealed class OutputStoppedException(string message, int exit) : Exception(message)
{
    /// <summary>The exit code: 0 for a closed pipe, 1 for a write error.</summary>
    public int Exit { get; } = exit;
}

/// <summary>
/// Where a response's file lines go: to the path the user gave on the command line, whatever path
/// the line names, or to standard output for <c>-</c> (flushed after every piece, so a live reader
/// such as Wireshark sees frames as they come); nowhere when the user asked for no file. The first
/// line creates the file, the rest append to it.
/// </summary>
/// <param name="path">The path the user gave, <c>-</c> for standard output, or null.</param>
/// <param name="standardOutput">Opens standard output (the process's, unless a test gives another stream).</param>
public sealed class OutputFile(string? path, Func<Stream>? standardOutput = null) : IDisposable
{
    private bool _started;
    private Stream? _stdout;

    /// <summary>True when the output is standard output: text the command prints then goes to standard error.</summary>
    public bool IsStandardOutput => path == "-";

    /// <summary>
    /// Checks, before anything is asked of the node, that the file can be written: its directory
    /// exists and the file, when it exists, is writable. Throws <see cref="CommandException"/> (usage)
    /// naming the switch, the path and the problem. Changes nothing on disk.
    /// </summary>
    public void CheckWritable(string switchName)
    {
        if (path is null || IsStandardOutput) return;
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? "/";
        if (Directory.Exists(full)) throw new CommandException($"--{switchName} {path}: is a directory, not a file", ExitCodes.Usage);
        if (!Directory.Exists(directory)) throw new CommandException($"--{switchName} {path}: the directory {directory} does not exist", ExitCodes.Usage);
        try
        {
            if (File.Exists(full))
            {
                using var _ = new FileStream(full, FileMode.Open, FileAccess.Write);
            }
            else
            {
                using (new FileStream(full, FileMode.CreateNew, FileAccess.Write)) { }
                File.Delete(full);
            }
        }
        catch (UnauthorizedAccessException)
        {
            throw new CommandException($"--{switchName} {path}: not writable (permission denied)", ExitCodes.Usage);
        }
        catch (IOException e)
        {
            throw new CommandException($"--{switchName} {path}: cannot be written ({e.Message})", ExitCodes.Usage);
        }
    }

    /// <summary>
    /// Writes one file line; false (and a message) when the node sent something this client does not
    /// write. Throws <see cref="OutputStoppedException"/> when the output went away or failed.
    /// </summary>
    public bool Write(ConsoleLine.File line, TextWriter error)
    {
        if (path is null)
        {
            error.WriteLine($"error: the node sent a file ('{line.Path}') although this command writes none; nothing was written");
            return false;
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(line.Base64);
        }
        catch (FormatException)
        {
            error.WriteLine($"error: the node sent file content for {path} that is not base64; it was not written");
            return false;
        }
        if (IsStandardOutput)
        {
            try
            {
                _stdout ??= (standardOutput ?? OpenStandardOutput)();
                _stdout.Write(bytes);
                _stdout.Flush();
            }
            catch (IOException)
            {
                // EPIPE: the reader closed the pipe (the runtime ignores SIGPIPE, so it is an IOException).
                throw new OutputStoppedException("standard output was closed; the command stopped", ExitCodes.Ok);
            }
            _started = true;
            return true;
        }
        try
        {
            using var file = new FileStream(path, _started ? FileMode.Append : FileMode.Create);
            file.Write(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputStoppedException($"{path}: {e.Message}; the command stopped", ExitCodes.Failed);
        }
        if (!_started) error.WriteLine($"writing {path}");
        _started = true;
        return true;
    }

    /// <summary>
    /// File descriptor 1 as a plain file stream: unlike the console's stream, which drops writes to a
    /// closed pipe without a word, it reports EPIPE as an <see cref="IOException"/>.
    /// </summary>
    private static Stream OpenStandardOutput() =>
        new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <inheritdoc/>
    public void Dispose() => _stdout?.Dispose();
}
