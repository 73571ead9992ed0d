using System.Text;
using VNet.Capture.Processes;

namespace VNet.Host.Labs;

/// <summary>A command that failed; the message has the command line and what it printed.</summary>
public sealed class ShellException(string message) : Exception(message);

/// <summary>Runs the few system tools labs need (ip, ethtool, sysctl) through <see cref="ProcessRunner"/> and reports failures plainly.</summary>
public static class Shell
{
    /// <summary>The result of a command.</summary>
    public sealed record Result(int Exit, string Output, string Error);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; throws <see cref="ShellException"/> on a non-zero exit unless <paramref name="check"/> is false.</summary>
    public static Result Run(string file, IEnumerable<string> args, bool check = true, TimeSpan? timeout = null)
    {
        var arguments = args.ToList();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        ProcessResult ran;
        try
        {
            ran = ProcessRunner.Run(file, arguments, limit);
        }
        catch (ProcessStartException e)
        {
            throw new ShellException($"cannot run {file}: {e.Reason} (is it installed?)");
        }
        catch (ProcessTimeoutException)
        {
            throw new ShellException($"`{ProcessRunner.Describe(file, arguments)}` did not finish within {limit.TotalSeconds:0} s");
        }
        var result = new Result(ran.ExitCode, ran.Output, ran.Error);
        if (check && result.Exit != 0)
            throw new ShellException($"`{ProcessRunner.Describe(file, arguments)}` failed (exit {result.Exit}): {(result.Error + result.Output).Trim()}");
        return result;
    }

    /// <summary>Runs a command line given as words.</summary>
    public static Result Run(params string[] words) => Run(words[0], words[1..]);

    /// <summary><c>ip</c> with arguments.</summary>
    public static Result Ip(params string[] args) => Run("ip", args);

    /// <summary>Runs a command inside a network namespace.</summary>
    public static Result InNetns(string netns, IEnumerable<string> command, bool check = true, TimeSpan? timeout = null) =>
        Run("ip", new[] { "netns", "exec", netns }.Concat(command), check, timeout);

    /// <summary>The network namespaces that exist now.</summary>
    public static HashSet<string> Namespaces()
    {
        var dir = "/run/netns";
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>().ToHashSet() : new HashSet<string>();
    }

    /// <summary>Starts a long-running process in a namespace, detached (own session), output to <paramref name="log"/>; returns its pid.</summary>
    public static int StartDetached(string netns, IReadOnlyList<string> command, string log, IReadOnlyDictionary<string, string>? env = null)
    {
        var quoted = string.Join(' ', command.Select(Quote));
        // exec all the way down: setsid (no fork, we are not a group leader) -> sh -> ip netns exec -> the daemon,
        // so the pid we get is the daemon's.
        try
        {
            return ProcessRunner.StartDetached("setsid", ["sh", "-c", $"exec ip netns exec {Quote(netns)} {quoted} >>{Quote(log)} 2>&1 </dev/null"],
                env?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        }
        catch (ProcessStartException e)
        {
            throw new ShellException($"cannot start {quoted}: {e.Reason}");
        }
    }

    /// <summary>Single-quotes a word for sh.</summary>
    public static string Quote(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:@,+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>True while a process with this pid exists (and is not a zombie).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of a file, for error messages.</summary>
    public static string Tail(string path, int lines = 15)
    {
        try
        {
            var all = File.ReadAllLines(path, Encoding.UTF8);
            return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
