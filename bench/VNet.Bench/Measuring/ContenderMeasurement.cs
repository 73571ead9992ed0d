using System.Diagnostics;
using System.Globalization;
using VNet.Bench.Contenders;
using VNet.Bench.Lab;
using VNet.Bench.Results;
using VNet.Host.Labs;

namespace VNet.Bench.Measuring;

/// <summary>
/// Measures one contender on the lab: set-up, connectivity, ping RTT, TCP runs, the UDP sweep,
/// 64-byte frames, memory — with CPU and drop counters read around every iperf3 test — and the
/// tear-down, which always runs.
/// </summary>
public sealed class ContenderMeasurement(BenchLab lab, BenchSettings settings, Progress progress)
{
    /// <summary>The plan's seconds for one contender (for the ETA).</summary>
    public static double Estimate(Contender c, BenchSettings s) =>
        SetupEstimate(c) + PingEstimate(s) + s.TcpRuns * (s.TcpSeconds + Overhead) + s.UdpRates.Count * s.UdpRuns * (s.UdpSeconds + Overhead) + s.PpsRuns * (s.PpsSeconds + Overhead);

    // Seconds an iperf3 test takes beyond its duration (server start, connect, counters read before and after).
    private const double Overhead = 0.6;

    private static double SetupEstimate(Contender c) => c.SetupSeconds + 0.5;

    private static double PingEstimate(BenchSettings s) => s.PingCount * s.PingInterval + 1;

    private string _client = "", _server = "", _address = "";
    private double _rss, _peak;

    /// <summary>Measures <paramref name="c"/>; tear-down failures propagate (the lab is then not clean).</summary>
    public async Task<ContenderResult> MeasureAsync(Contender c, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var result = new ContenderResult { Name = c.Name, Family = c.Family.ToString().ToLowerInvariant(), Description = c.Description };
        (_client, _server, _address) = c.BetweenVms ? (lab.Vm1.Netns, lab.Vm2.Netns, lab.Vm2.Address) : (lab.Ns(lab.Host1), lab.Ns(lab.Host2), lab.Host2Address);
        _rss = _peak = 0;
        lab.FlushCaches();
        lab.ApplyVmSettings(settings.VmMtu, settings.Offloads);
        progress.Begin("set-up");
        try
        {
            try
            {
                await c.SetUpAsync(lab, cancel);
                if (!await PingRunner.WaitForReplyAsync(_client, _address, TimeSpan.FromSeconds(20), cancel))
                    throw new ContenderUnavailableException($"set up, but {_client} got no ping answer from {_address} within 20 s");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                progress.End($"not available: {e.Message}", 0);
                return result with { Available = false, UnavailableReason = e.Message.ReplaceLineEndings(" "), Notes = [.. c.Notes], Seconds = clock.Elapsed.TotalSeconds };
            }
            var mtu = c.BetweenVms ? BenchLab.Mtu(lab.Vm1.Netns, "eth0") : BenchLab.Mtu(_client, "eth0");
            progress.End($"up (MTU {mtu})", SetupEstimate(c));
            var ping = await PingAsync(c, cancel);
            var samples = new List<TestSample>();
            for (var run = 1; run <= settings.TcpRuns; run++)
                samples.Add(await IperfAsync(c, "tcp", run, $"TCP run {run}/{settings.TcpRuns}", settings.TcpSeconds, null, 0, cancel));
            // The same datagram size for everyone (VM MTU − 28), the substrate included; smaller only where a link needs a smaller VM MTU.
            var udpLength = Math.Min(mtu, settings.VmMtu) - 28;
            foreach (var rate in settings.UdpRates)
                for (var run = 1; run <= settings.UdpRuns; run++)
                    samples.Add(await IperfAsync(c, "udp", run, $"UDP {Rate(rate)}{(settings.UdpRuns > 1 ? $" run {run}/{settings.UdpRuns}" : "")}", settings.UdpSeconds, rate, udpLength, cancel));
            for (var run = 1; run <= settings.PpsRuns; run++)
                samples.Add(await IperfAsync(c, "pps", run, $"64-byte frames run {run}/{settings.PpsRuns}", settings.PpsSeconds, settings.PpsOfferedBitsPerSecond, settings.PpsPayload, cancel));
            return result with
            {
                Available = true,
                Mtu = mtu,
                Samples = samples,
                Ping = ping,
                RssMiB = c.Processes.Count == 0 ? null : _rss,
                PeakRssMiB = c.Processes.Count == 0 ? null : _peak,
                Processes = [.. c.Processes.Select(p => $"{p.Name} ({p.Pid})")],
                VmSettings = c.BetweenVms ? lab.DescribeVmSettings() : [],
                Notes = [.. c.Notes],
                Seconds = clock.Elapsed.TotalSeconds,
            };
        }
        finally
        {
            progress.Begin("tear-down");
            try
            {
                await c.TearDownAsync(lab);
                progress.End("done", 0);
            }
            catch (Exception e)
            {
                progress.End($"FAILED: {e.Message}", 0);
                throw;
            }
            finally
            {
                progress.EndContender();
            }
        }
    }

    private async Task<PingSample> PingAsync(Contender c, CancellationToken cancel)
    {
        progress.Begin($"ping ×{settings.PingCount}");
        var p = await PingRunner.RunAsync(_client, _address, settings.PingCount, settings.PingInterval, cancel);
        progress.End(FormattableString.Invariant($"median {p.MedianMs:0.000} ms, avg {p.AvgMs:0.000}, mdev {p.MdevMs:0.000}, {p.Received}/{p.Sent} answered"), PingEstimate(settings));
        if (c.Family == ContenderFamily.Vnet)
        {
            // A compressible burst shows whether compression really happens (iperf3's payload is random and does not compress).
            var before = await c.ReadCountersAsync(lab, cancel);
            await PingRunner.RunAsync(_client, _address, 10, 0.02, cancel, size: 1300, pattern: "00");
            await c.AfterCompressibleBurstAsync(lab, before, await c.ReadCountersAsync(lab, cancel), cancel);
        }
        return new PingSample(p.Sent, p.Received, p.MedianMs, p.AvgMs, p.MdevMs, p.MinMs, p.MaxMs);
    }

    private async Task<TestSample> IperfAsync(Contender c, string test, int run, string label, double seconds, long? rate, int length, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        progress.Begin(label);
        var drops0 = DropProbe.Read(lab);
        var counters0 = await c.ReadCountersAsync(lab, cancel);
        CpuReading? cpu0 = null;
        IperfOutcome? o = null;
        string? error = null;
        try
        {
            o = await IperfRunner.RunAsync(_server, _client, _address, seconds, rate, rate is null ? null : length, lab.WorkDirectory, settings.Port,
                () => { cpu0 = CpuProbes.Read(c.Processes); return Task.CompletedTask; }, cancel,
                socketBuffer: rate is null || settings.UdpSocketBufferBytes == 0 ? null : settings.UdpSocketBufferBytes);
        }
        catch (ShellException e)
        {
            // Ctrl-C reaches iperf3 too (same process group): its "interrupt" is the benchmark being stopped, not a result.
            cancel.ThrowIfCancellationRequested();
            error = e.Message.ReplaceLineEndings(" ");
        }
        var cpu1 = CpuProbes.Read(c.Processes);
        cpu0 ??= cpu1;
        var counters = DropProbe.Delta(counters0, await c.ReadCountersAsync(lab, cancel));
        var drops = DropProbe.Delta(drops0, DropProbe.Read(lab));
        foreach (var (k, v) in counters.Where(kv => kv.Key.Contains(" drop ", StringComparison.Ordinal))) drops[k] = v;
        var memory = CpuProbes.Memory(c.Processes);
        _rss = Math.Max(_rss, memory.RssMiB);
        _peak = Math.Max(_peak, memory.PeakRssMiB);
        var sample = new TestSample
        {
            Test = test,
            Run = run,
            OfferedBitsPerSecond = rate ?? 0,
            PayloadBytes = rate is null ? 0 : length,
            ReceivedMbps = (o?.ReceivedBitsPerSecond ?? 0) / 1e6,
            SentMbps = (o?.SentBitsPerSecond ?? 0) / 1e6,
            LossPercent = o?.LostPercent ?? 0,
            Retransmits = o?.Retransmits ?? 0,
            Bytes = o?.Bytes ?? 0,
            PacketsSent = o?.PacketsSent ?? 0,
            PacketsReceived = o?.PacketsReceived ?? 0,
            Seconds = o?.Seconds ?? 0,
            TunnelCpuSeconds = cpu1.TunnelSeconds - cpu0.TunnelSeconds,
            SystemBusySeconds = cpu1.SystemBusySeconds - cpu0.SystemBusySeconds,
            SystemTotalSeconds = cpu1.SystemTotalSeconds - cpu0.SystemTotalSeconds,
            Drops = drops,
            LinkCounters = counters.Where(kv => !kv.Key.Contains(" drop ", StringComparison.Ordinal)).ToDictionary(),
            Error = error,
        };
        progress.End(Describe(sample), seconds + Overhead);
        return sample;
    }

    private static string Describe(TestSample s)
    {
        if (!s.Ok) return $"FAILED: {s.Error}";
        var drops = s.Drops.Values.Sum();
        var tail = drops == 0 ? "" : $", {drops} drops counted";
        return s.Test switch
        {
            "tcp" => FormattableString.Invariant($"{s.ReceivedMbps:0} Mbit/s, {s.Retransmits} retransmits{tail}"),
            "udp" => FormattableString.Invariant($"{s.ReceivedMbps:0} Mbit/s received (sent {s.SentMbps:0}), loss {s.LossPercent:0.00} %{tail}"),
            _ => FormattableString.Invariant($"{s.PacketsReceived / Math.Max(s.Seconds, 1e-9) / 1000:0.0} kframes/s received (sent {s.PacketsSent / Math.Max(s.Seconds, 1e-9) / 1000:0.0}k){tail}"),
        };
    }

    /// <summary>100M, 1.5G.</summary>
    public static string Rate(long bits) => bits >= 1_000_000_000
        ? (bits / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G"
        : (bits / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M";
}
