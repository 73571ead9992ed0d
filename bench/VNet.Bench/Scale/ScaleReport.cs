using System.Globalization;
using System.Text;
using VNet.Actors.Negotiation;
using VNet.Bench.Results;

namespace VNet.Bench.Scale;

/// <summary>The markdown report of a scale run: one section per measurement, then every goal as met or not met with its numbers.</summary>
public static class ScaleReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Renders <paramref name="run"/> with links to its <paramref name="plots"/>.</summary>
    public static string Render(ScaleRun run, ScalePlots.Files plots)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"# VNet scale benchmark, {run.Started:yyyy-MM-dd HH:mm} UTC{(run.Quick ? " (quick)" : "")}{(run.Part is null ? "" : $" (only --part {run.Part})")}{(run.Interrupted is null ? "" : $" ({run.Interrupted})")}");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} cores, **shared with other work during the run** (load average {run.LoadBefore} before, {run.LoadAfter} after); the lab figures are upper bounds of what this code needs.");
        sb.AppendLine();
        Simulation(sb, run, plots);
        Links(sb, run, plots);
        Concurrency(sb, run, plots);
        ManyHosts(sb, run, plots);
        Goals(sb, run);
        return sb.ToString();
    }

    private static string F(double v, string format) => double.IsNaN(v) ? "–" : v.ToString(format, Inv);

    private static void Simulation(StringBuilder sb, ScaleRun run, ScalePlots.Files plots)
    {
        sb.AppendLine("## Negotiation at scale (simulation)");
        sb.AppendLine();
        sb.AppendLine("The pure initiator and responder cores of every host, driven through concurrent OK/NOK negotiations in virtual time: 20 requests per host arriving within 200 ms, message latency 1-20 ms, 5 hub hosts take one end of 10 % of the requests, seed 15. Every run is checked: no number twice in one scope of a table, every agreed link committed on both ends, nothing left reserved, every failure with its reason.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(
            ["hosts", "requests", "rule", "made", "rounds mean", "rounds p99", "rounds max", "NOK rate", "exhausted", "out of rounds", "min host share", "Jain", "most links on a host", "median ms", "p99 ms", "converged ms", "wall ms"],
            run.Simulated.Select(s => (IReadOnlyList<string>)[
                s.Hosts.ToString(Inv), s.Summary.Requests.ToString(Inv), s.Rule.Name(), s.Summary.Agreed.ToString(Inv),
                s.Summary.MeanRounds.ToString("0.000", Inv), s.Summary.P99Rounds.ToString("0", Inv), s.Summary.MaxRounds.ToString(Inv),
                (100 * s.Summary.NokRate).ToString("0.00", Inv) + "%", s.Summary.Exhausted.ToString(Inv), s.Summary.OutOfRounds.ToString(Inv),
                (100 * s.Summary.MinHostShare).ToString("0.0", Inv) + "%", s.Summary.JainFairness.ToString("0.0000", Inv), s.Summary.MostLinksOnAHost.ToString(Inv),
                s.Summary.MedianTookMs.ToString("0.0", Inv), s.Summary.P99TookMs.ToString("0.0", Inv), s.Summary.ConvergedMs.ToString("0", Inv), s.WallMs.ToString("0", Inv)])));
        sb.AppendLine();
        sb.AppendLine("Under the per-host rule the hubs (more than 110 links asked) run out of numbers: those requests end with `no free protocol number`, the others are made; the per-peer rule makes every link and its hubs carry past 110. Rounds above 1 come from concurrent reservations of the same number on one host.");
        sb.AppendLine();
        sb.AppendLine(Inv, $"![negotiation]({plots.Negotiation})").AppendLine();
    }

    private static void Links(StringBuilder sb, ScaleRun run, ScalePlots.Files plots)
    {
        sb.AppendLine("## Links on one host (real vnetd in a lab)");
        sb.AppendLine();
        if (run.Links.Count == 0)
        {
            sb.AppendLine("Not measured in this run.").AppendLine();
            return;
        }
        sb.AppendLine(Inv, $"A generated star lab (`vnet lab gen --layout star --links L`): h1 holds one end of every link, the other ends go to h2..hN in turn, one peer host per 100 links (at least two) since raw links are numbered per peer pair; all links raw-p2p, made by one `net load`. Both forwarder models: `vnet.data-plane.forwarder-threads = auto` (links share one epoll thread per CPU) and `= 0` (the earlier thread per direction of each link). h1's vnetd is read 3 s after start-up and 3 s after the load: VmRSS and Threads from /proc/PID/status, and idle CPU = utime+stime from /proc/PID/stat over {LinksOnOneHost.IdleWindow.TotalSeconds:0} s with no traffic, in % of one core. The threads after the load are told apart by the names the daemon gives them (/proc/PID/task/*/comm): forwarder threads (`vnet-fwd…` of the pool, `vnet-link-…` of the per-link model), netlink interface watchers (`vnet-netlink-…`, one per watched VM port) and the .NET thread pool's workers (which the runtime adds while the links are made and retires later).");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["links on h1", "forwarders", "hosts", "net load s", "s per link", "RSS before MB", "RSS after MB", "MB per link", "threads before", "threads after", "forwarder threads", "interface watchers", ".NET workers", "idle CPU before %", "idle CPU after %", "result"],
            run.Links.Select(l => (IReadOnlyList<string>)[
                l.Links.ToString(Inv), l.Model.Name(), l.Hosts.ToString(Inv), F(l.LoadSeconds, "0.0"), F(l.LoadSeconds / l.Links, "0.00"),
                F(l.Before.RssMb, "0"), F(l.After.RssMb, "0"), F((l.After.RssMb - l.Before.RssMb) / l.Links, "0.00"),
                l.Before.Threads.ToString(Inv), l.After.Threads.ToString(Inv), l.After.Forwarders.ToString(Inv), l.After.InterfaceWatchers.ToString(Inv), l.After.RuntimeWorkers.ToString(Inv), F(l.IdleCpuBefore, "0.0"), F(l.IdleCpuAfter, "0.0"),
                l.Loaded ? "all established" : $"failed: {l.Failure}"])));
        sb.AppendLine();
        if (plots.Threads is not null) sb.AppendLine(Inv, $"![threads]({plots.Threads})").AppendLine();
        if (plots.Memory is not null) sb.AppendLine(Inv, $"![memory]({plots.Memory})").AppendLine();
    }

    private static void Concurrency(StringBuilder sb, ScaleRun run, ScalePlots.Files plots)
    {
        sb.AppendLine("## Concurrent links between two hosts (aggregate TCP)");
        sb.AppendLine();
        if (run.Concurrency.Count == 0)
        {
            sb.AppendLine("Not measured in this run.").AppendLine();
            return;
        }
        var most = run.Concurrency.Max(c => c.Links);
        var seconds = run.Quick ? 3 : 5;
        sb.AppendLine(Inv, $"A generated lab of 2 hosts with {most} VMs each and {most} raw-p2p links (authenticated, the default), made by one `net load`; iperf3 TCP from h1's VM to h2's VM of each link, over 1..{most} links at once, {seconds} s each, one port per link. Aggregate = the sum of the receiver rates; fairness = the slowest link's rate over the mean.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["concurrent links", "forwarders", "aggregate Mbit/s", "vs 1 link", "per link Mbit/s (min-max)", "fairness", "result"],
            run.Concurrency.Select(c =>
            {
                var single = run.Concurrency.FirstOrDefault(o => o.Model == c.Model && o.Links == 1 && o.Failure is null);
                return (IReadOnlyList<string>)[
                    c.Links.ToString(Inv), c.Model.Name(), F(c.SumMbps, "0"), single is null ? "–" : F(c.SumMbps / single.SumMbps, "0.00") + "×",
                    c.PerLinkMbps.Count == 0 ? "–" : $"{c.PerLinkMbps.Min().ToString("0", Inv)}-{c.PerLinkMbps.Max().ToString("0", Inv)}", F(c.Fairness, "0.00"),
                    c.Failure is null ? "ok" : $"failed: {c.Failure}"];
            })));
        sb.AppendLine();
        sb.AppendLine(Inv, $"With {Environment.ProcessorCount} cores shared by both vnetds, both VMs' TCP stacks and iperf3, more links cannot add CPU: the aggregate shows what the forwarders lose or keep when the links share it.");
        sb.AppendLine();
        if (plots.Throughput is not null) sb.AppendLine(Inv, $"![throughput]({plots.Throughput})").AppendLine();
    }

    private static void ManyHosts(StringBuilder sb, ScaleRun run, ScalePlots.Files plots)
    {
        sb.AppendLine("## Many hosts in one lab");
        sb.AppendLine();
        if (run.ManyHosts.Count == 0)
        {
            sb.AppendLine("Not measured in this run.").AppendLine();
            return;
        }
        sb.AppendLine("A generated mesh lab (`vnet lab gen --hosts N --vms-per-host K`, links spread evenly over host pairs), every vnetd seeded with h1, forwarders `auto`. \"lab up\" is from the first namespace to every vnetd joined and registered; \"cluster\" from the vnetds started to one cluster. Then one `discover search` from h1 asking for every other host, and one `net load` of all the links through h1, bounded in time.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["hosts", "VMs per host", "links", "lab up s", "cluster s", "discover found", "discover s", "net load s", "s per link", "mean RSS MB", "mean threads", "result"],
            run.ManyHosts.Select(m => (IReadOnlyList<string>)[
                m.Hosts.ToString(Inv), m.VmsPerHost.ToString(Inv), m.Links.ToString(Inv), F(m.UpSeconds, "0.0"), F(m.ClusterSeconds, "0.0"),
                m.Up ? $"{m.Discovered} of {m.Hosts} ({m.DiscoverEnd})" : "–", F(m.DiscoverSeconds, "0.0"), F(m.LoadSeconds, "0.0"), F(m.LoadSeconds / m.Links, "0.00"),
                F(m.MeanRssMb, "0"), m.Up ? m.MeanThreads.ToString(Inv) : "–",
                m.Failure is not null ? $"lab failed: {m.Failure}" : m.LoadFailure is not null ? $"net load failed: {m.LoadFailure}" : "one cluster, all links established"])));
        sb.AppendLine();
        if (plots.Convergence is not null) sb.AppendLine(Inv, $"![convergence]({plots.Convergence})").AppendLine();
    }

    private static void Goals(StringBuilder sb, ScaleRun run)
    {
        sb.AppendLine("## Goals of the scale work");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["goal", "status"], ScaleGoals.Judge(run).Select(g => (IReadOnlyList<string>)[g.Goal, g.Status])));
    }
}
