using System.Text;

namespace VNet.Host.Labs;

/// <summary>
/// Multicast forwarding in lab routers: a router with <c>multicast="on"</c> runs
/// its own smcrouted, which forwards the discovery group and the multipoint segments' group from
/// each of its interfaces to all the others. Each router decrements the TTL, so a query sent with TTL t crosses t − 1 routers, which
/// is what makes TTL-scoped discovery testable across hops.
/// </summary>
public static class LabMulticast
{
    /// <summary>The multipoint segments' group a lab's hosts use (vnet.multipoint.group's default).</summary>
    public const string SegmentGroup = "239.192.76.1";

    /// <summary>The smcroute.conf of <paramref name="router"/> for the discovery <paramref name="group"/> and the segment group.</summary>
    public static string Config(LabRouter router, string group)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# written by `vnet lab up`: forward the discovery group {group} and the segment group {SegmentGroup} between every pair of interfaces");
        foreach (var i in router.Interfaces) sb.AppendLine($"phyint {i.Name} enable");
        foreach (var g in new[] { group, SegmentGroup }.Distinct())
            foreach (var from in router.Interfaces)
            {
                var to = router.Interfaces.Where(i => i.Name != from.Name).Select(i => i.Name).ToList();
                if (to.Count > 0) sb.AppendLine($"mroute from {from.Name} group {g} to {string.Join(' ', to)}");
            }
        return sb.ToString();
    }

    /// <summary>
    /// Starts smcrouted in each multicast router's namespace, with its own config, pid file and
    /// socket under the lab's directory; returns the processes for the lab state (so `lab down`
    /// stops them). <see cref="WaitReady"/> then waits for them.
    /// </summary>
    public static List<LabProcess> Launch(LabDefinition lab, LabState state, string group)
    {
        var started = new List<LabProcess>();
        foreach (var router in lab.Routers.Where(r => r.Multicast))
        {
            var ns = state.Prefix + router.Name;
            var conf = Path.Combine(state.Directory, $"smcroute-{router.Name}.conf");
            var pidFile = Path.Combine(state.Directory, $"smcroute-{router.Name}.pid");
            var socket = Path.Combine(state.Directory, $"smcroute-{router.Name}.sock");
            var log = Path.Combine(state.Directory, $"smcroute-{router.Name}.log");
            File.WriteAllText(conf, Config(router, group));
            var pid = Shell.StartDetached(ns, ["smcrouted", "-n", "-N", "-f", conf, "-P", pidFile, "-u", socket, "-l", "info"], log);
            started.Add(new LabProcess($"smcrouted-{router.Name}", ns, pid, log));
        }
        return started;
    }

    /// <summary>Waits (at most 10 s each) until every smcrouted has opened its control socket, which it does once its routes are in.</summary>
    public static void WaitReady(LabState state, IEnumerable<LabProcess> started)
    {
        foreach (var p in started)
        {
            var socket = Path.Combine(state.Directory, $"smcroute-{p.Name["smcrouted-".Length..]}.sock");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!File.Exists(socket) && Shell.Alive(p.Pid) && DateTime.UtcNow < deadline) Thread.Sleep(50);
            if (!Shell.Alive(p.Pid) || !File.Exists(socket))
                throw new ShellException($"{p.Name} did not start (is smcroute installed?); its log ({p.Log}):{Environment.NewLine}{Shell.Tail(p.Log)}");
        }
    }
}
