using System.Diagnostics;
using System.Runtime.InteropServices;
using VNet.Actors.Negotiation;

namespace VNet.Bench.Scale;

/// <summary>A negotiation simulation of one host count under one numbering rule.</summary>
public sealed record SimulationPoint(int Hosts, ProtocolNumberRule Rule, SimulationSummary Summary, double WallMs);

/// <summary>Everything one scale run measured.</summary>
public sealed record ScaleRun(DateTime Started, bool Quick, string LoadBefore, string LoadAfter, IReadOnlyList<SimulationPoint> Simulated,
    IReadOnlyList<LinksPoint> Links, IReadOnlyList<ConcurrencyPoint> Concurrency, IReadOnlyList<ManyHostsPoint> ManyHosts, string? Interrupted)
{
    /// <summary>The one lab measurement this run made (<c>--part</c>), or null for all of them.</summary>
    public string? Part { get; init; }
}

/// <summary>
/// <c>./vnet bench --scale</c>: the negotiation simulation at growing host counts (virtual time, fixed
/// seeds), then real vnetd labs — links on one host under both forwarder models (threads, RSS, idle
/// CPU), aggregate TCP over concurrent links between two hosts, and a 32-host lab (one cluster,
/// discovery, one net load). Writes bench/results/&lt;date&gt;-scale.md and its plots.
/// </summary>
public static class ScaleBench
{
    /// <summary>What one run measures.</summary>
    private sealed record Plan(int[] SimulatedHosts, (int Links, ForwarderModel Model)[] LinkPoints, int[] ConcurrentCounts, double IperfSeconds,
        ForwarderModel[] ConcurrencyModels, int ManyHosts, int VmsPerHost, TimeSpan ManyHostsLoadTimeout);

    private static readonly Plan Full = new([50, 100, 250, 500],
        [(1, ForwarderModel.Pool), (1, ForwarderModel.PerLink), (10, ForwarderModel.Pool), (10, ForwarderModel.PerLink),
         (100, ForwarderModel.Pool), (100, ForwarderModel.PerLink), (500, ForwarderModel.Pool)],
        [1, 4, 16], 5, [ForwarderModel.Pool, ForwarderModel.PerLink], 32, 20, TimeSpan.FromSeconds(240));

    private static readonly Plan Quick = new([50, 500], [(1, ForwarderModel.Pool), (10, ForwarderModel.Pool), (10, ForwarderModel.PerLink)],
        [1, 4], 3, [ForwarderModel.Pool], 8, 2, TimeSpan.FromSeconds(60));

    /// <summary>The lab measurements, by the names <c>--part</c> takes.</summary>
    private static readonly string[] Parts = ["links", "tcp", "hosts"];

    /// <summary>
    /// Runs the scale benchmark; <c>--quick</c> measures fewer and smaller points, <c>--no-lab</c> only
    /// simulates, <c>--part links|tcp|hosts</c> runs one lab measurement (a development run).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var quick = args.Contains("--quick");
        var noLab = args.Contains("--no-lab");
        var partAt = Array.IndexOf(args, "--part");
        var part = partAt >= 0 && partAt + 1 < args.Length ? args[partAt + 1] : null;
        var unknown = args.Where((a, i) => a is not ("--scale" or "--quick" or "--no-lab" or "--part") && (partAt < 0 || i != partAt + 1)).ToList();
        if (unknown.Count > 0 || partAt >= 0 && !Parts.Contains(part))
        {
            await System.Console.Error.WriteLineAsync(unknown.Count > 0
                ? $"bench --scale: unexpected '{unknown[0]}' (switches: --quick, --no-lab, --part {string.Join("|", Parts)})"
                : $"bench --scale --part: '{part}' is none of {string.Join(", ", Parts)}");
            return 2;
        }
        bool Runs(string name) => part is null || part == name;
        if (!noLab && Environment.UserName != "root")
        {
            await System.Console.Error.WriteLineAsync("bench --scale: the labs need root (network namespaces, raw sockets); run `sudo ./vnet bench --scale`, or --no-lab");
            return 1;
        }
        var plan = quick ? Quick : Full;
        using var cancel = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            if (cancel.IsCancellationRequested) return;
            output.WriteLine();
            output.WriteLine($"{context.Signal}: tearing the current lab down ...");
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

        var loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        output.WriteLine("== VNet scale benchmark: negotiation simulation, then generated labs");
        var simulated = Simulate(plan.SimulatedHosts, output);
        var links = new List<LinksPoint>();
        var concurrency = new List<ConcurrencyPoint>();
        var many = new List<ManyHostsPoint>();
        string? interrupted = null;
        if (!noLab)
        {
            try
            {
                if (Runs("links"))
                {
                    output.WriteLine("links on one host:");
                    foreach (var (count, model) in plan.LinkPoints) links.Add(await LinksOnOneHost.MeasureAsync(count, model, output, cancel.Token));
                }
                if (Runs("tcp"))
                {
                    output.WriteLine("concurrent links between two hosts (iperf3 TCP):");
                    foreach (var model in plan.ConcurrencyModels) concurrency.AddRange(await ConcurrentLinks.MeasureAsync(plan.ConcurrentCounts, plan.IperfSeconds, model, output, cancel.Token));
                }
                if (Runs("hosts"))
                {
                    output.WriteLine("many hosts:");
                    many.Add(await ManyHosts.MeasureAsync(plan.ManyHosts, plan.VmsPerHost, plan.ManyHostsLoadTimeout, output, cancel.Token));
                }
            }
            catch (OperationCanceledException)
            {
                interrupted = "interrupted";
            }
        }

        var run = new ScaleRun(started, quick, loadBefore, LoadAverage(), simulated, links, concurrency, many, interrupted) { Part = part };
        var directory = Path.Combine("bench", "results");
        Directory.CreateDirectory(directory);
        // Development runs stay out of git (bench/results/.gitignore).
        var stem = $"{started:yyyy-MM-dd}-scale{(quick || noLab ? "-quick" : "")}{(part is null ? "" : "-partial")}{(interrupted is null ? "" : "-incomplete")}";
        var plots = ScalePlots.Write(run, directory, stem);
        var path = Path.Combine(directory, stem + ".md");
        File.WriteAllText(path, ScaleReport.Render(run, plots));
        output.WriteLine($"wrote {path}");
        return interrupted is null ? 0 : 130;
    }

    private static List<SimulationPoint> Simulate(int[] hostCounts, TextWriter output)
    {
        var simulated = new List<SimulationPoint>();
        foreach (var hosts in hostCounts)
            foreach (var rule in new[] { ProtocolNumberRule.PerPeer, ProtocolNumberRule.PerHost })
            {
                var clock = Stopwatch.StartNew();
                var result = NegotiationSimulation.Run(new SimulationOptions(hosts, hosts * 20, Seed: 15) { Rule = rule });
                var violations = NegotiationSimulation.Violations(result);
                if (violations.Length > 0) throw new InvalidOperationException($"simulation of {hosts} hosts ({rule.Name()}) broke the rules: {violations[0]}");
                var summary = NegotiationSimulation.Summarize(result);
                simulated.Add(new SimulationPoint(hosts, rule, summary, clock.Elapsed.TotalMilliseconds));
                output.WriteLine($"  simulated {hosts} hosts, {hosts * 20} requests, {rule.Name()}: {summary}");
            }
        return simulated;
    }

    /// <summary>The 1, 5 and 15 minute load averages, from /proc/loadavg.</summary>
    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
