using System.Globalization;
using VNet.Actors.Negotiation;

namespace VNet.Bench.Scale;

/// <summary>The goals of the scale work, each judged met or not met from a run's numbers.</summary>
public static class ScaleGoals
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Threads (other than the .NET thread pool's workers, which the runtime adds and retires on its own) a pool vnetd may gain from its fewest to its most links and still count as not growing with links.</summary>
    public const int ThreadSlack = 4;

    /// <summary>One goal and its verdict with the numbers behind it.</summary>
    public sealed record Verdict(string Goal, string Status);

    /// <summary>Every goal of <paramref name="run"/>.</summary>
    public static IEnumerable<Verdict> Judge(ScaleRun run)
    {
        var pool = run.Links.Where(l => l.Loaded && l.Model == ForwarderModel.Pool).OrderBy(l => l.Links).ToList();
        var perLink = run.Links.Where(l => l.Loaded && l.Model == ForwarderModel.PerLink).OrderBy(l => l.Links).ToList();
        var most = run.Links.Where(l => l.Loaded).OrderByDescending(l => l.Links).FirstOrDefault();
        yield return new("more than 110 links on a host (per-peer numbers)", most is null ? "not measured"
            : most.Links > 110 ? S($"met: {most.Links} raw links on h1 ({most.Hosts - 1} peers)") : S($"not shown: at most {most.Links} links were loaded"));

        var fiveHundred = run.Links.FirstOrDefault(l => l.Links >= 500 && l.Model == ForwarderModel.Pool);
        yield return new("500 links on one host", fiveHundred is null ? "not measured"
            : fiveHundred.Loaded ? S($"met: {fiveHundred.Links} links on h1 in one net load of {fiveHundred.LoadSeconds:0} s, {fiveHundred.After.Threads} threads, {fiveHundred.After.RssMb:0} MB")
            : $"not met: {fiveHundred.Failure}");

        yield return new("threads that do not grow with links", ThreadsVerdict(pool, perLink));

        yield return new("idle CPU and RSS per link at 1, 10, 100, 500 links", pool.Count == 0 ? "not measured"
            : "measured (pool): " + string.Join("; ", pool.Select(l => S($"{l.Links} link(s): idle {l.IdleCpuAfter:0.0} % of a core, RSS {l.After.RssMb:0} MB ({(l.After.RssMb - l.Before.RssMb) / l.Links:0.00} MB per link)")))
              + (perLink.Count == 0 ? "" : "; per-link model: " + string.Join("; ", perLink.Select(l => S($"{l.Links} link(s): idle {l.IdleCpuAfter:0.0} %, RSS {l.After.RssMb:0} MB")))));

        var tcp = run.Concurrency.Where(c => c.Failure is null).ToList();
        yield return new("aggregate TCP of 1 vs 4 vs 16 concurrent links between two hosts", tcp.Count == 0 ? "not measured"
            : "measured: " + string.Join("; ", tcp.GroupBy(c => c.Model).Select(g => $"{g.Key.Name()}: " + string.Join(" / ", g.OrderBy(c => c.Links).Select(c => S($"{c.Links}: {c.SumMbps:0}"))) + " Mbit/s")));

        var hosts = run.ManyHosts.OrderByDescending(m => m.Hosts).FirstOrDefault();
        yield return new("32-host lab forms one cluster", hosts is null ? "not measured"
            : !hosts.Up ? $"not met: the {hosts.Hosts}-host lab failed: {hosts.Failure}"
            : hosts.Hosts >= 32 ? S($"met: {hosts.Hosts} hosts in one cluster {hosts.ClusterSeconds:0} s after the vnetds started (lab up in {hosts.UpSeconds:0} s)")
            : S($"not shown: {hosts.Hosts} hosts in one cluster after {hosts.ClusterSeconds:0} s (this run did not try 32)"));
        yield return new("`discover` from one node finds all 32", hosts is null || !hosts.Up ? "not measured"
            : hosts.Discovered >= 32 && hosts.Discovered == hosts.Hosts ? S($"met: {hosts.Discovered} of {hosts.Hosts} in {hosts.DiscoverSeconds:0.0} s")
            : hosts.Hosts < 32 ? S($"not shown: {hosts.Discovered} of {hosts.Hosts} hosts (this run did not try 32)")
            : S($"not met: {hosts.Discovered} of {hosts.Hosts} in {hosts.DiscoverSeconds:0.0} s"));

        yield return new("1000 links established in ≤ 60 s", ThousandLinksVerdict(run));

        var simulated = run.Simulated.FirstOrDefault(s => s.Hosts == 500 && s.Rule == ProtocolNumberRule.PerPeer);
        yield return new("negotiation at 500 hosts, 10 000 requests", simulated is null ? "not simulated"
            : simulated.Summary.Agreed == simulated.Summary.Requests ? "met: every request made under the per-peer rule, every failure under the per-host rule a clear exhaustion error" : S($"not met: {simulated.Summary.Agreed} of {simulated.Summary.Requests} made"));
    }

    private static string ThreadsVerdict(List<LinksPoint> pool, List<LinksPoint> perLink)
    {
        if (pool.Count < 2) return "not measured (fewer than two pool points)";
        var (fewest, most) = (pool[0], pool[^1]);
        static int Own(VnetdFootprint f) => f.Threads - f.RuntimeWorkers;
        var grew = Own(most.After) - Own(fewest.After);
        var old = perLink.LastOrDefault() is { } p ? S($"; per-link model: {p.After.Forwarders} forwarder threads at {p.Links} links") : "";
        var forwarders = S($"forwarder threads {fewest.After.Forwarders} at {fewest.Links} link(s), {most.After.Forwarders} at {most.Links} links{old}");
        if (grew <= ThreadSlack) return S($"met: {forwarders}; all threads {fewest.After.Threads} -> {most.After.Threads}");
        var watchers = most.After.InterfaceWatchers > fewest.After.InterfaceWatchers
            ? S($" — the netlink interface watchers grow with the links ({fewest.After.InterfaceWatchers} -> {most.After.InterfaceWatchers}, one thread per VM port)") : "";
        return most.After.Forwarders <= Environment.ProcessorCount
            ? S($"partly met: {forwarders} (met), but the daemon's other threads grow by {grew} from {fewest.Links} to {most.Links} links{watchers}; all threads {fewest.After.Threads} -> {most.After.Threads}")
            : S($"not met: {forwarders}; all threads {fewest.After.Threads} -> {most.After.Threads}{watchers}");
    }

    private static string ThousandLinksVerdict(ScaleRun run)
    {
        var loads = run.ManyHosts.Where(m => m.Up).Select(m => (m.Links, m.LoadSeconds, m.LoadFailure, Where: $"{m.Hosts}-host mesh"))
            .Concat(run.Links.Select(l => (l.Links, l.LoadSeconds, LoadFailure: l.Failure, Where: $"{l.Hosts}-host star, forwarders {l.Model.Name()}"))).ToList();
        var done = loads.Where(l => l.LoadFailure is null && !double.IsNaN(l.LoadSeconds)).OrderByDescending(l => l.Links).FirstOrDefault();
        if (done.Where is null) return "not measured: no load finished";
        if (done.Links >= 1000) return done.LoadSeconds <= 60 ? S($"met: {done.Links} links in {done.LoadSeconds:0} s ({done.Where})") : S($"not met: {done.Links} links took {done.LoadSeconds:0} s ({done.Where})");
        var failed = loads.Where(l => l.LoadFailure is not null && l.Links > done.Links).Select(l => $"; {l.Links} links ({l.Where}) failed: {l.LoadFailure}").FirstOrDefault() ?? "";
        return S($"not met (not reached): the largest load measured, {done.Links} links ({done.Where}), took {done.LoadSeconds:0} s, {done.LoadSeconds / done.Links:0.00} s per link; at that rate 1000 links take about {1000 * done.LoadSeconds / done.Links:0} s{failed}");
    }

    private static string S(FormattableString s) => s.ToString(Inv);
}
