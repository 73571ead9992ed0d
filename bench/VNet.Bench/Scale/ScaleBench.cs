using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScottPlot;
using VNet.Actors.Negotiation;
using VNet.Actors.Networks;
using VNet.Bench.Results;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Host.Observability;
using VNet.Messages.Commands;

namespace VNet.Bench.Scale;

/// <summary>
/// <c>./vnet bench --scale</c>: the negotiation simulation at growing host counts (virtual time, fixed
/// seeds) and generated labs with growing link counts (setup time of one net load, RSS and threads
/// of each vnetd before and after). Writes bench/results/&lt;date&gt;-scale.md and its plots.
/// </summary>
public static class ScaleBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One generated lab measured: its links, how long the load took, each vnetd's RSS and threads.</summary>
    private sealed record LabPoint(int Hosts, int Links, double LoadSeconds, bool Loaded, string? Failure, double RssMbBefore, double RssMbAfter, int ThreadsBefore, int ThreadsAfter, double PrivateMbAfter = double.NaN, double HeapMbAfter = double.NaN);

    /// <summary>Runs the scale benchmark; <c>--quick</c> measures fewer points, <c>--no-lab</c> only simulates.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var quick = args.Contains("--quick");
        var noLab = args.Contains("--no-lab");
        var unknown = args.Where(a => a is not ("--scale" or "--quick" or "--no-lab")).ToList();
        if (unknown.Count > 0)
        {
            await System.Console.Error.WriteLineAsync($"bench --scale: unexpected '{unknown[0]}' (switches: --quick, --no-lab)");
            return 2;
        }
        var loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        output.WriteLine("== VNet scale benchmark: negotiation simulation, then generated labs");

        var hostCounts = quick ? new[] { 50, 500 } : new[] { 50, 100, 250, 500 };
        var simulated = new List<(int Hosts, ProtocolNumberRule Rule, SimulationSummary Summary, double WallMs)>();
        foreach (var hosts in hostCounts)
            foreach (var rule in new[] { ProtocolNumberRule.PerPeer, ProtocolNumberRule.PerHost })
            {
                var clock = Stopwatch.StartNew();
                var result = NegotiationSimulation.Run(new SimulationOptions(hosts, hosts * 20, Seed: 15) { Rule = rule });
                var violations = NegotiationSimulation.Violations(result);
                if (violations.Length > 0) throw new InvalidOperationException($"simulation of {hosts} hosts ({rule.Name()}) broke the rules: {violations[0]}");
                var summary = NegotiationSimulation.Summarize(result);
                simulated.Add((hosts, rule, summary, clock.Elapsed.TotalMilliseconds));
                output.WriteLine($"  simulated {hosts} hosts, {hosts * 20} requests, {rule.Name()}: {summary}");
            }

        var labs = new List<LabPoint>();
        if (!noLab)
            foreach (var links in quick ? new[] { 10, 150 } : new[] { 10, 50, 100, 150 })
                labs.Add(await MeasureLabAsync(links, output));

        var loadAfter = LoadAverage();
        var directory = Path.Combine("bench", "results");
        Directory.CreateDirectory(directory);
        var stem = $"{started:yyyy-MM-dd}-scale{(quick || noLab ? "-quick" : "")}"; // development runs stay out of git (bench/results/.gitignore)
        var plots = WritePlots(simulated, labs, directory, stem);
        var report = Report(simulated, labs, plots, started, loadBefore, loadAfter, quick);
        var path = Path.Combine(directory, stem + ".md");
        File.WriteAllText(path, report);
        output.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Two hosts (a star: every link on h1), one net load of <paramref name="links"/> links; the lab is always torn down.</summary>
    private static async Task<LabPoint> MeasureLabAsync(int links, TextWriter output)
    {
        var options = new LabGenOptions(3, 1, links) { Layout = LabLayout.Star, Name = $"scale{links}" };
        var lab = LabFile.Parse(LabGen.Generate(options), Path.Combine(Path.GetTempPath(), $"vnet-scale-{links}.xml"));
        var runner = new LabRunner(TextWriter.Null);
        LabState? state = null;
        try
        {
            output.Write($"  lab: 3 hosts, {links} links on h1 ... ");
            // Hundreds of forwarder threads start at once on a small machine: heartbeats come late, so a
            // node is given longer before it is taken for gone (this run measures links, not failure detection).
            state = await runner.UpAsync(lab, new LabOptions
            {
                Prefix = "vs-", CreateLinks = false, ClusterTimeout = TimeSpan.FromSeconds(120),
                ExtraConfig = "akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s\nakka.cluster.split-brain-resolver.stable-after = 20s\nvnet.topology.start-timeout = 20s\n",
            });
            var h1 = state.Processes.First(p => p.Name == "vnetd-h1").Pid;
            await Task.Delay(TimeSpan.FromSeconds(3)); // let start-up settle before reading memory
            var (rssBefore, threadsBefore) = ProcStatus(h1);
            var clock = Stopwatch.StartNew();
            await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(state.Hosts[0].Socket));
            var reply = await vnet.AskAsync(new LoadNetwork("scale.xml", Encoding.UTF8.GetBytes(NetworkFile.Write(lab.Network)), false));
            var took = clock.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(3));
            var (rssAfter, threadsAfter) = ProcStatus(h1);
            var (privateAfter, heapAfter) = Memory(h1, state.Hosts[0].Netns);
            var failure = reply is NetworkRejected rejected ? string.Join("; ", rejected.FileProblems.Select(p => p.Message)) : null;
            output.WriteLine(failure is null ? $"loaded in {took:0.0} s, h1 RSS {rssBefore:0} -> {rssAfter:0} MB (private {privateAfter:0} MB, managed heap {heapAfter:0} MB), threads {threadsBefore} -> {threadsAfter}" : $"failed: {failure}");
            return new LabPoint(3, links, took, failure is null, failure, rssBefore, rssAfter, threadsBefore, threadsAfter, privateAfter, heapAfter);
        }
        catch (Exception e) when (e is ShellException or CommandException or IOException)
        {
            output.WriteLine($"failed: {e.Message}");
            return new LabPoint(3, links, double.NaN, false, e.Message, double.NaN, double.NaN, 0, 0);
        }
        finally
        {
            if (state is not null) runner.Down(LabState.Read(state.Id) ?? state, quiet: true);
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages, from /proc/loadavg.</summary>
    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>
    /// Private memory (MB, smaps_rollup) of a vnetd and its managed heap (MB, from its /metrics, read
    /// inside its namespace); NaN for what cannot be read.
    /// </summary>
    private static (double PrivateMb, double HeapMb) Memory(int pid, string netns)
    {
        var privateMb = SmapsRollup.Parse(File.ReadAllText($"/proc/{pid}/smaps_rollup")).Private / 1048576.0;
        var metrics = Shell.InNetns(netns, [.. LabRunner.DaemonCommand(), "metrics"], check: false, timeout: TimeSpan.FromSeconds(20));
        var heap = metrics.Exit == 0
            ? PrometheusText.Parse(metrics.Output).FirstOrDefault(f => f.Name == "vnet_process_gc_heap_bytes")?.Samples.FirstOrDefault()?.Value / 1048576.0
            : null;
        return (privateMb, heap ?? double.NaN);
    }

    /// <summary>VmRSS (MB) and Threads of a process, from /proc/PID/status.</summary>
    private static (double RssMb, int Threads) ProcStatus(int pid)
    {
        double rss = double.NaN;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length < 2) continue;
            var value = parts[1].Trim().Split(' ')[0];
            if (parts[0] == "VmRSS") rss = double.Parse(value, Inv) / 1024;
            if (parts[0] == "Threads") threads = int.Parse(value, Inv);
        }
        return (rss, threads);
    }

    private static List<string> WritePlots(List<(int Hosts, ProtocolNumberRule Rule, SimulationSummary Summary, double WallMs)> simulated, List<LabPoint> labs, string directory, string stem)
    {
        var files = new List<string>();
        var agreed = new Plot();
        foreach (var rule in new[] { ProtocolNumberRule.PerPeer, ProtocolNumberRule.PerHost })
        {
            var points = simulated.Where(s => s.Rule == rule).ToList();
            var line = agreed.Add.Scatter(points.Select(p => (double)p.Hosts).ToArray(), points.Select(p => 100.0 * p.Summary.Agreed / p.Summary.Requests).ToArray());
            line.LegendText = $"{rule.Name()}: links made %";
            var nok = agreed.Add.Scatter(points.Select(p => (double)p.Hosts).ToArray(), points.Select(p => 100 * p.Summary.NokRate).ToArray());
            nok.LegendText = $"{rule.Name()}: NOK rate %";
            nok.LinePattern = LinePattern.Dashed;
        }
        agreed.Title("Negotiation simulation: 20 requests per host, 5 hubs with 10 % of the requests");
        agreed.XLabel("hosts");
        agreed.YLabel("%");
        agreed.ShowLegend();
        files.Add($"{stem}-negotiation.png");
        agreed.SavePng(Path.Combine(directory, files[^1]), 1100, 650);
        var measured = labs.Where(l => l.Loaded).ToList();
        if (measured.Count > 0)
        {
            var setup = new Plot();
            var time = setup.Add.Scatter(measured.Select(l => (double)l.Links).ToArray(), measured.Select(l => l.LoadSeconds).ToArray());
            time.LegendText = "net load, s";
            var rss = setup.Add.Scatter(measured.Select(l => (double)l.Links).ToArray(), measured.Select(l => l.RssMbAfter).ToArray());
            rss.LegendText = "h1 vnetd RSS after, MB";
            var threads = setup.Add.Scatter(measured.Select(l => (double)l.Links).ToArray(), measured.Select(l => (double)l.ThreadsAfter).ToArray());
            threads.LegendText = "h1 vnetd threads after";
            setup.Title("Setup time, RSS and threads vs links on one host (3-host star lab)");
            setup.XLabel("links on h1");
            setup.ShowLegend();
            files.Add($"{stem}-links.png");
            setup.SavePng(Path.Combine(directory, files[^1]), 1100, 650);
        }
        return files;
    }

    private static string Report(List<(int Hosts, ProtocolNumberRule Rule, SimulationSummary Summary, double WallMs)> simulated, List<LabPoint> labs, List<string> plots,
        DateTime started, string loadBefore, string loadAfter, bool quick)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# VNet scale benchmark, {started:yyyy-MM-dd HH:mm} UTC{(quick ? " (quick)" : "")}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, **shared with other work during the run** (load average {loadBefore} before, {loadAfter} after); the lab figures are upper bounds of what this code needs.");
        sb.AppendLine();
        sb.AppendLine("## Negotiation at scale (simulation)");
        sb.AppendLine();
        sb.AppendLine("The pure initiator and responder cores of every host, driven through concurrent OK/NOK negotiations in virtual time: 20 requests per host arriving within 200 ms, message latency 1-20 ms, 5 hub hosts take one end of 10 % of the requests, seed 15. Every run is checked: no number twice in one scope of a table, every agreed link committed on both ends, nothing left reserved, every failure with its reason.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(
            ["hosts", "requests", "rule", "made", "rounds mean", "rounds p99", "rounds max", "NOK rate", "exhausted", "out of rounds", "min host share", "Jain", "most links on a host", "median ms", "p99 ms", "converged ms", "wall ms"],
            simulated.Select(s => (IReadOnlyList<string>)[
                s.Hosts.ToString(Inv), s.Summary.Requests.ToString(Inv), s.Rule.Name(), s.Summary.Agreed.ToString(Inv),
                s.Summary.MeanRounds.ToString("0.000", Inv), s.Summary.P99Rounds.ToString("0", Inv), s.Summary.MaxRounds.ToString(Inv),
                (100 * s.Summary.NokRate).ToString("0.00", Inv) + "%", s.Summary.Exhausted.ToString(Inv), s.Summary.OutOfRounds.ToString(Inv),
                (100 * s.Summary.MinHostShare).ToString("0.0", Inv) + "%", s.Summary.JainFairness.ToString("0.0000", Inv), s.Summary.MostLinksOnAHost.ToString(Inv),
                s.Summary.MedianTookMs.ToString("0.0", Inv), s.Summary.P99TookMs.ToString("0.0", Inv), s.Summary.ConvergedMs.ToString("0", Inv), s.WallMs.ToString("0", Inv)])));
        sb.AppendLine();
        sb.AppendLine("Under the per-host rule the hubs (more than 110 links asked) run out of numbers: those requests end with `no free protocol number`, the others are made; the per-peer rule makes every link and its hubs carry past 110. Rounds above 1 come from concurrent reservations of the same number on one host.");
        sb.AppendLine();
        if (plots.Count > 0) sb.AppendLine(CultureInfo.InvariantCulture, $"![negotiation]({plots[0]})").AppendLine();
        sb.AppendLine("## Links on one host (real vnetd in a lab)");
        sb.AppendLine();
        if (labs.Count == 0) sb.AppendLine("Not measured in this run (`--no-lab`).");
        else
        {
            sb.AppendLine("A generated star lab (`vnet lab gen --hosts 3 --vms-per-host 1 --links L --layout star`): every link has one end on h1, the other ends alternate between h2 and h3; all links raw-p2p, created by one `net load` (8 at a time). RSS and threads of h1's vnetd before the load and 3 s after it; after it also its private memory (smaps_rollup) and managed heap (its /metrics).");
            sb.AppendLine();
            sb.Append(MarkdownTable.Render(["links on h1", "net load s", "s per link", "RSS before MB", "RSS after MB", "MB per link", "private after MB", "managed heap after MB", "threads before", "threads after", "result"],
                labs.Select(l => (IReadOnlyList<string>)[
                    l.Links.ToString(Inv), l.LoadSeconds.ToString("0.0", Inv), (l.LoadSeconds / l.Links).ToString("0.00", Inv),
                    l.RssMbBefore.ToString("0", Inv), l.RssMbAfter.ToString("0", Inv), ((l.RssMbAfter - l.RssMbBefore) / l.Links).ToString("0.00", Inv),
                    l.PrivateMbAfter.ToString("0", Inv), l.HeapMbAfter.ToString("0.0", Inv), l.ThreadsBefore.ToString(Inv), l.ThreadsAfter.ToString(Inv), l.Loaded ? "all established" : $"failed: {l.Failure}"])));
            sb.AppendLine();
            if (plots.Count > 1) sb.AppendLine(CultureInfo.InvariantCulture, $"![links]({plots[1]})").AppendLine();
        }
        sb.AppendLine("## Goals of the scale work");
        sb.AppendLine();
        var fastest = labs.Where(l => l.Loaded).OrderByDescending(l => l.Links).FirstOrDefault();
        sb.Append(MarkdownTable.Render(["goal", "status"], [
            ["more than 110 links on a host (per-peer numbers)", labs.Any(l => l.Loaded && l.Links > 110) ? "met: " + labs.Where(l => l.Loaded && l.Links > 110).Max(l => l.Links).ToString(Inv) + " raw links on h1" : "not shown in this run"],
            ["1000 links established in ≤ 60 s", fastest is null ? "not measured" : $"not measured at 1000; {fastest.Links} links took {fastest.LoadSeconds:0} s ({fastest.LoadSeconds / fastest.Links:0.00} s per link on this shared machine)"],
            ["500 links on one host", "not measured"],
            ["threads that do not grow with links", fastest is null ? "not measured" : $"not met: each link still has its own forwarder threads ({fastest.ThreadsAfter - fastest.ThreadsBefore} more threads for {fastest.Links} links)"],
            ["32-host lab forms one cluster", "not measured in this run"],
            ["negotiation at 500 hosts, 10 000 requests", simulated.Any(s => s.Hosts == 500 && s.Rule == ProtocolNumberRule.PerPeer && s.Summary.Agreed == s.Summary.Requests) ? "met: every request made under the per-peer rule, every failure under the per-host rule a clear exhaustion error" : "not met"],
        ]));
        return sb.ToString();
    }
}
