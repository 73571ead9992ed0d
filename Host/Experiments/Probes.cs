using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary>What a measurement of one run works with: the run's clock, the lab, the node and where its series go.</summary>
/// <param name="Clock">The run's clock (t = 0 at the start of the run).</param>
/// <param name="EpochAtZero">Unix time (seconds) at t = 0, to place tools' own timestamps on the run's clock.</param>
/// <param name="Lab">The lab.</param>
/// <param name="Connect">Opens a console to the node for one caller.</param>
/// <param name="Directory">The run's results directory (tool logs go here too).</param>
public sealed record ProbeContext(IExperimentClock Clock, double EpochAtZero, LabControl Lab, Func<CancellationToken, Task<IExperimentConsole>> Connect, string Directory)
{
    /// <summary>The series written so far, in the order they were made.</summary>
    public ConcurrentQueue<Series> Series { get; } = new();

    /// <summary>The one-number results (<see cref="RunValues"/>) by measurement and value.</summary>
    public ConcurrentDictionary<(string Measurement, string Value), double> Values { get; } = new();

    /// <summary>Problems a measurement met (it keeps what it measured).</summary>
    public ConcurrentQueue<string> Problems { get; } = new();

    /// <summary>A new series of <paramref name="measurement"/>, registered for writing.</summary>
    public Series NewSeries(string name, string measurement, params string[] columns)
    {
        var s = new Series(name, measurement, [.. columns]);
        Series.Enqueue(s);
        return s;
    }

    /// <summary>Seconds since t = 0 now.</summary>
    public double Now => Clock.Elapsed.TotalSeconds;
}

/// <summary>Runs the measurements: iperf3, ping and link counters. Each runs until its duration ends or the run is stopped, and keeps what it measured.</summary>
public static class Probes
{
    /// <summary>Runs <paramref name="measurement"/> to its end (or until <paramref name="stop"/>).</summary>
    public static Task RunAsync(Measurement measurement, int index, ProbeContext context, CancellationToken stop) => measurement switch
    {
        IperfMeasurement i => IperfAsync(i, 5201 + index, context, stop),
        PingMeasurement p => PingAsync(p, context, stop),
        CountersMeasurement c => CountersAsync(c, context, stop),
        _ => throw new ArgumentOutOfRangeException(nameof(measurement)),
    };

    private static async Task IperfAsync(IperfMeasurement m, int port, ProbeContext context, CancellationToken stop)
    {
        var columns = m.Udp ? new[] { "mbps", "loss_percent", "jitter_ms" } : ["mbps", "retransmits"];
        var series = context.NewSeries(m.Name, m.Name, columns);
        var interval = m.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var serverNetns = context.Lab.Netns(m.To);
        var log = Path.Combine(context.Directory, $"{m.Name}.iperf3-server.json");
        // The server writes JSON too, so the client gets its receiver-side intervals and totals (--get-server-output).
        var server = Shell.StartDetached(serverNetns, ["iperf3", "-s", "-1", "-J", "-p", port.ToString(CultureInfo.InvariantCulture), "-i", interval], log);
        try
        {
            await WaitForListenerAsync(serverNetns, port, stop);
            var args = new List<string>
            {
                "iperf3", "-c", context.Lab.Address(m.To), "-p", port.ToString(CultureInfo.InvariantCulture),
                "-t", m.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), "-i", interval,
                "--json", "--get-server-output", "--connect-timeout", "3000",
            };
            if (m.Udp) args.AddRange(["-u", "-b", m.RateBitsPerSecond.ToString(CultureInfo.InvariantCulture)]);
            if (m.Length > 0) args.AddRange(["-l", m.Length.ToString(CultureInfo.InvariantCulture)]);
            var started = context.Now;
            var json = new StringBuilder();
            await ProbeProcess.RunAsync(context.Lab.Netns(m.From), args, l => json.AppendLine(l), m.Duration + TimeSpan.FromSeconds(15), stop);
            var report = IperfReport.Parse(json.ToString(), m.Udp);
            File.WriteAllText(Path.Combine(context.Directory, $"{m.Name}.iperf3.json"), json.ToString());
            foreach (var i in report.Intervals)
            {
                if (m.Udp) series.Add(started + i.End, i.BitsPerSecond / 1e6, i.LostPercent, i.JitterMs);
                else series.Add(started + i.End, i.BitsPerSecond / 1e6, i.Retransmits);
            }
            context.Values[(m.Name, "throughput")] = report.MeanBitsPerSecond / 1e6;
            if (m.Udp)
            {
                context.Values[(m.Name, "loss")] = report.MeanLostPercent;
                context.Values[(m.Name, "jitter")] = report.Intervals.IsEmpty ? double.NaN : report.Intervals.Average(i => i.JitterMs);
            }
            else context.Values[(m.Name, "retransmits")] = report.Retransmits ?? report.Intervals.Sum(i => i.Retransmits);
            if (report.Error is not null && !stop.IsCancellationRequested) context.Problems.Enqueue($"iperf {m.Name}: {report.Error}");
        }
        finally
        {
            if (Shell.Alive(server)) Shell.Run("kill", ["-KILL", server.ToString(CultureInfo.InvariantCulture)], check: false);
        }
    }

    private static async Task WaitForListenerAsync(string netns, int port, CancellationToken stop)
    {
        for (var i = 0; i < 100; i++)
        {
            var ss = Shell.InNetns(netns, ["ss", "-Hltn", $"sport = :{port}"], check: false);
            if (ss.Output.Contains($":{port}", StringComparison.Ordinal)) return;
            await Task.Delay(50, stop);
        }
        throw new ShellException($"iperf3 server in {netns} is not listening on port {port} after 5 s");
    }

    private static async Task PingAsync(PingMeasurement m, ProbeContext context, CancellationToken stop)
    {
        var series = context.NewSeries(m.Name, m.Name, "seq", "rtt_ms", "lost");
        var lines = new ConcurrentQueue<PingLine>();
        var interval = m.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var deadline = Math.Max(1, (int)Math.Ceiling(m.Duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        // -D: every line carries ping's own timestamp; -O: a request with no reply by the next one is reported.
        await ProbeProcess.RunAsync(context.Lab.Netns(m.From), ["ping", "-n", "-D", "-O", "-i", interval, "-W", "1", "-w", deadline, context.Lab.Address(m.To)],
            l => { if (PingLine.Parse(l) is { } p) lines.Enqueue(p); }, m.Duration + TimeSpan.FromSeconds(5), stop);
        var requests = PingLine.Requests(lines, m.Interval.TotalSeconds);
        foreach (var (epoch, seq, rtt) in requests) series.Add(epoch - context.EpochAtZero, seq, rtt, rtt is null ? 1 : 0);
        var replies = requests.Where(r => r.RttMs is not null).ToList();
        context.Values[(m.Name, "rtt")] = replies.Count == 0 ? double.NaN : replies.Average(r => r.RttMs!.Value);
        context.Values[(m.Name, "loss")] = requests.Length == 0 ? double.NaN : 100.0 * (requests.Length - replies.Count) / requests.Length;
    }

    private static async Task CountersAsync(CountersMeasurement m, ProbeContext context, CancellationToken stop)
    {
        var state = context.NewSeries($"{m.Name}-state", m.Name, "status", "hosts_reporting");
        var counters = context.NewSeries($"{m.Name}-counters", m.Name, "host", "direction", "frames", "bytes", "drops", "mbps");
        var end = context.Clock.Elapsed + m.Duration;
        var previous = new Dictionary<(string, string), (double T, long Bytes)>();
        // A host that died is asked until the cluster sees it gone (each ask waiting seconds): a sample
        // that takes longer than two periods is recorded as a gap rather than holding the series up.
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(2 * m.Every.TotalMilliseconds, 1000, 5000));
        var console = await context.Connect(stop);
        try
        {
            var next = context.Clock.Elapsed;
            while (next < end && !stop.IsCancellationRequested)
            {
                try
                {
                    await context.Clock.WaitUntilAsync(next, stop);
                    using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    bounded.CancelAfter(timeout);
                    var t = context.Now;
                    var sample = await console.SampleAsync(m.Link, bounded.Token);
                    state.Add(t, sample.Status ?? "unknown", sample.HostsReporting);
                    foreach (var c in sample.Counters)
                    {
                        double? mbps = previous.TryGetValue((c.Host, c.Direction), out var p) && t > p.T && c.Bytes >= p.Bytes ? (c.Bytes - p.Bytes) * 8 / (t - p.T) / 1e6 : null;
                        previous[(c.Host, c.Direction)] = (t, c.Bytes);
                        counters.Add(t, c.Host, c.Direction, c.Frames, c.Bytes, c.Drops, mbps);
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    // No answer in time: a gap, and a fresh connection, as the old one still waits for that answer.
                    state.Add(context.Now, "no answer", null);
                    await console.DisposeAsync();
                    console = await context.Connect(stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                // The next slot on the grid: a slow answer skips slots rather than drifting.
                while (next <= context.Clock.Elapsed) next += m.Every;
            }
        }
        finally
        {
            await console.DisposeAsync();
        }
    }
}
