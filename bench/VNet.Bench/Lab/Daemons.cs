using System.Globalization;
using VNet.Host.Labs;

namespace VNet.Bench.Lab;

/// <summary>A tunnel daemon the benchmark started (tincd, openvpn), by its pid.</summary>
public sealed record Daemon(string Name, string Netns, int Pid, string Log);

/// <summary>
/// The tunnel daemons of one contender. They run detached (their own session, so Ctrl-C reaches
/// only the benchmark) and are stopped by pid — TERM, then KILL — never by name.
/// </summary>
public sealed class Daemons
{
    private readonly List<Daemon> _running = [];

    /// <summary>The daemons started and not yet stopped.</summary>
    public IReadOnlyList<Daemon> Running => _running;

    /// <summary>Starts <paramref name="command"/> in <paramref name="netns"/>; its output goes to <paramref name="log"/>.</summary>
    public Daemon Start(string name, string netns, IReadOnlyList<string> command, string log)
    {
        var pid = Shell.StartDetached(netns, command, log);
        var daemon = new Daemon(name, netns, pid, log);
        _running.Add(daemon);
        return daemon;
    }

    /// <summary>Throws when a daemon already exited, with the end of its log.</summary>
    public void CheckAlive()
    {
        foreach (var d in _running.Where(d => !Shell.Alive(d.Pid)))
            throw new ShellException($"{d.Name} (pid {d.Pid}) exited; its log ({d.Log}):{Environment.NewLine}{Shell.Tail(d.Log, 10)}");
    }

    /// <summary>Stops every daemon: TERM, up to 5 s grace, then KILL.</summary>
    public void StopAll()
    {
        foreach (var d in _running.Where(d => Shell.Alive(d.Pid)))
            Shell.Run("kill", ["-TERM", d.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (_running.Any(d => Shell.Alive(d.Pid)) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        foreach (var d in _running.Where(d => Shell.Alive(d.Pid)))
            Shell.Run("kill", ["-KILL", d.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
        _running.Clear();
    }
}
