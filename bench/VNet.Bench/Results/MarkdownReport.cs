using System.Globalization;
using System.Text;
using VNet.Bench.Measuring;

namespace VNet.Bench.Results;

/// <summary>
/// The results file: the configuration, the goals evaluated, and a table per metric with ratios
/// against the best rival userspace tunnel without crypto (tinc or OpenVPN, whichever is better on
/// that metric), against the faster rival with crypto (TCP) and against kernel VXLAN.
/// </summary>
public static class MarkdownReport
{
    private const long Rate500 = 500_000_000;

    /// <summary>The whole report; <paramref name="plots"/> are the PNG file names beside it.</summary>
    public static string Render(BenchResult run, PlotFiles? plots)
    {
        var c = run.Config;
        var all = run.Contenders.Select(r => new Summary(r)).ToList();
        var ok = all.Where(s => s.Result.Available).ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"# VNet benchmarks — {c.StartedUtc:yyyy-MM-dd} ({c.Mode} run)");
        sb.AppendLine();
        if (c.Mode != "full")
        {
            sb.AppendLine($"> **Development run ({c.Mode})** — shortened durations and/or a subset of contenders, on a machine shared with other work.");
            sb.AppendLine("> Not the benchmark's result: the committed results come from a full run (`sudo ./vnet bench`).");
            sb.AppendLine();
        }
        Configuration(sb, run);
        sb.AppendLine("## Goals");
        sb.AppendLine();
        sb.AppendLine($"Ratios from this one run{(c.Mode == "full" ? "" : $" ({c.Mode}, so indicative only)")}.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["goal", "target", "measured", "verdict"],
            Goals.Evaluate(all, c).Select(g => (IReadOnlyList<string>)[g.Goal, g.Target, g.Measured, g.Status switch { GoalStatus.Met => "**met**", GoalStatus.NotMet => "**not met**", _ => "not evaluated" }])));
        sb.AppendLine();

        var rivalNote = "“× best rival” divides by the better of tinc and OpenVPN without crypto (the `tinc` and `openvpn` rows) on that metric (named in the header); “× VXLAN” by kernel VXLAN.";
        sb.AppendLine("## TCP throughput");
        sb.AppendLine();
        sb.AppendLine(Inv($"iperf3 TCP, one stream, VM1 → VM2 (substrate: h1 → h2), median of {c.TcpRuns} × {c.TcpSeconds:0} s; receiver's rate. {rivalNote} “× encrypted rival” divides by the faster of the rivals' crypto rows (`tinc-crypto`, `openvpn-gcm`)."));
        sb.AppendLine();
        var tcpBest = BestRival(ok, s => s.TcpMbps, higherIsBetter: true);
        var tcpCrypto = BestRival(ok, s => s.TcpMbps, higherIsBetter: true, RivalRows.Encrypted);
        var vxlan = ok.FirstOrDefault(s => s.Name == "vxlan");
        sb.Append(MarkdownTable.Render(["contender", "Mbit/s (median)", "runs", "retransmits (median)", $"× best rival ({tcpBest?.Name ?? "–"})", $"× encrypted rival ({tcpCrypto?.Name ?? "–"})", "× VXLAN"],
            all.Select(s => s.Result.Available
                ? (IReadOnlyList<string>)[s.Name, N(s.TcpMbps), string.Join(" / ", s.TcpRuns.Select(v => N(v))), N(s.TcpRetransmits), Ratio(s.TcpMbps, tcpBest?.TcpMbps), Ratio(s.TcpMbps, tcpCrypto?.TcpMbps), Ratio(s.TcpMbps, vxlan?.TcpMbps)]
                : [s.Name, "not available", "", "", "", "", ""])));
        Image(sb, plots?.Tcp, "TCP throughput per contender");

        sb.AppendLine("## UDP achieved rate vs offered");
        sb.AppendLine();
        sb.AppendLine(Inv($"iperf3 UDP, {c.VmMtu - 28}-byte datagrams (VM MTU − 28), {c.UdpRuns} × {c.UdpSeconds:0} s per offered rate; Mbit/s received (median). iperf3's own sending rate is in the raw JSON: at the top rates the sender itself may fall short of the offer."));
        sb.AppendLine();
        var udpBest = BestRival(ok, s => s.UdpMaxMbps, higherIsBetter: true);
        sb.Append(MarkdownTable.Render(
            ["contender", .. c.UdpRates.Select(r => $"{ContenderMeasurement.Rate(r)}"), "best", $"best × best rival ({udpBest?.Name ?? "–"})", "best × VXLAN"],
            ok.Select(s => (IReadOnlyList<string>)[s.Name, .. c.UdpRates.Select(r => N(s.UdpMbps(r))), N(s.UdpMaxMbps), Ratio(s.UdpMaxMbps, udpBest?.UdpMaxMbps), Ratio(s.UdpMaxMbps, vxlan?.UdpMaxMbps)])));
        Image(sb, plots?.UdpAchieved, "UDP achieved vs offered");

        sb.AppendLine("## UDP loss vs offered");
        sb.AppendLine();
        sb.AppendLine("Loss the receiving iperf3 counted, percent (median). Ratios of loss near zero mean nothing; the column on the right is the difference to the best rival at 500 Mbit/s in percentage points.");
        sb.AppendLine();
        var lossBest = c.UdpRates.Contains(Rate500) ? BestRival(ok, s => s.UdpLoss(Rate500), higherIsBetter: false) : null;
        sb.Append(MarkdownTable.Render(
            ["contender", .. c.UdpRates.Select(r => $"{ContenderMeasurement.Rate(r)}"), $"500M − best rival ({lossBest?.Name ?? "–"})"],
            ok.Select(s => (IReadOnlyList<string>)[s.Name, .. c.UdpRates.Select(r => N(s.UdpLoss(r), "0.00")), lossBest is null ? "–" : Signed(s.UdpLoss(Rate500) - lossBest.UdpLoss(Rate500))])));
        Image(sb, plots?.UdpLoss, "UDP loss vs offered");

        sb.AppendLine("## Round-trip time");
        sb.AppendLine();
        sb.AppendLine(Inv($"ping, {c.PingCount} echo requests {c.PingInterval * 1000:0} ms apart, 56-byte payload, on an idle tunnel. “added” is the median minus the substrate's median (the goal's measure)."));
        sb.AppendLine();
        var substrate = ok.FirstOrDefault(s => s.Name == "substrate");
        var rttBest = BestRival(ok, s => s.RttMedian, higherIsBetter: false);
        sb.Append(MarkdownTable.Render(["contender", "median ms", "avg ms", "mdev ms", "min ms", "max ms", "added ms", $"× best rival ({rttBest?.Name ?? "–"})", "× VXLAN", "answered"],
            ok.Select(s => (IReadOnlyList<string>)[s.Name, N(s.RttMedian, "0.000"), N(s.Result.Ping?.AvgMs, "0.000"), N(s.Result.Ping?.MdevMs, "0.000"), N(s.Result.Ping?.MinMs, "0.000"), N(s.Result.Ping?.MaxMs, "0.000"),
                substrate is null ? "–" : N(s.RttMedian - substrate.RttMedian, "0.000"), Ratio(s.RttMedian, rttBest?.RttMedian), Ratio(s.RttMedian, vxlan?.RttMedian), $"{s.Result.Ping?.Received}/{s.Result.Ping?.Sent}"])));
        sb.AppendLine();

        sb.AppendLine("## Frames per second at 64-byte frames");
        sb.AppendLine();
        sb.AppendLine(Inv($"iperf3 UDP with {c.PpsPayload}-byte payloads (64-byte Ethernet frames counting the FCS), offered {ContenderMeasurement.Rate(c.PpsOfferedBitsPerSecond)}bit/s, median of {c.PpsRuns} × {c.PpsSeconds:0} s; frames the receiving VM got per second. One iperf3 sender on these 2 cores is itself a limit: the substrate row is the instrument's ceiling."));
        sb.AppendLine();
        var ppsBest = BestRival(ok, s => s.FramesPerSecond, higherIsBetter: true);
        sb.Append(MarkdownTable.Render(["contender", "received kframes/s", "sent kframes/s", $"× best rival ({ppsBest?.Name ?? "–"})", "× VXLAN"],
            ok.Select(s => (IReadOnlyList<string>)[s.Name, N(s.FramesPerSecond / 1000, "0.0"), N(s.FramesSentPerSecond / 1000, "0.0"), Ratio(s.FramesPerSecond, ppsBest?.FramesPerSecond), Ratio(s.FramesPerSecond, vxlan?.FramesPerSecond)])));
        sb.AppendLine();

        sb.AppendLine("## CPU per GB moved");
        sb.AppendLine();
        sb.AppendLine("Over the TCP runs: CPU seconds (utime+stime from /proc/PID/stat) of the tunnel's own processes — the two vnetd for VNet, the two tincd, the two openvpn — per GB (10⁹ bytes) the receiving iperf3 got. Kernel VXLAN has no process (“kernel”). The machine-wide busy CPU (/proc/stat: user+nice+system+irq+softirq+steal) per GB is given for everyone; it includes iperf3, the kernel's forwarding and any other work on the machine. Lower is better, so the ratios are contender ÷ reference.");
        sb.AppendLine();
        var cpuBest = BestRival(ok, s => s.TunnelCpuPerGB, higherIsBetter: false);
        var sysBest = BestRival(ok, s => s.SystemCpuPerGB, higherIsBetter: false);
        sb.Append(MarkdownTable.Render(["contender", "tunnel CPU-s/GB", "tunnel cores busy", $"× best rival ({cpuBest?.Name ?? "–"})", "machine CPU-s/GB", "machine cores busy", $"× best rival ({sysBest?.Name ?? "–"})", "× VXLAN"],
            ok.Select(s => (IReadOnlyList<string>)[s.Name, s.Result.Processes.Count == 0 ? (s.Name == "substrate" ? "–" : "kernel") : N(s.TunnelCpuPerGB, "0.00"), N(s.TunnelCores, "0.00"),
                Ratio(s.TunnelCpuPerGB, cpuBest?.TunnelCpuPerGB), N(s.SystemCpuPerGB, "0.00"), N(s.SystemBusyCores, "0.00"), Ratio(s.SystemCpuPerGB, sysBest?.SystemCpuPerGB), Ratio(s.SystemCpuPerGB, vxlan?.SystemCpuPerGB)])));
        sb.AppendLine();

        sb.AppendLine("## Memory of the tunnel processes");
        sb.AppendLine();
        sb.AppendLine("VmRSS summed over the tunnel's processes (largest value read after a test) and VmHWM (peak since the process started; the two vnetd run for the whole benchmark, so their peak covers every VNet kind measured so far).");
        sb.AppendLine();
        var memBest = BestRival(ok, s => s.Result.RssMiB ?? double.NaN, higherIsBetter: false);
        sb.Append(MarkdownTable.Render(["contender", "processes", "RSS MiB", "peak RSS MiB", $"× best rival ({memBest?.Name ?? "–"})"],
            ok.Where(s => s.Name != "substrate").Select(s => (IReadOnlyList<string>)[s.Name, s.Result.Processes.Count == 0 ? "kernel" : string.Join(", ", s.Result.Processes), N(s.Result.RssMiB, "0.0"), N(s.Result.PeakRssMiB, "0.0"), Ratio(s.Result.RssMiB ?? double.NaN, memBest?.Result.RssMiB)])));
        sb.AppendLine();

        Drops(sb, ok, "tcp", "Drops counted during the TCP runs", "Loss hides as TCP retransmits: these are the counters that moved while the TCP runs went on, summed over the runs.");
        Drops(sb, ok, "udp", "Drops counted during the UDP sweep", "Summed over every offered rate; at the top rates most loss is expected at the receiving VM's socket (vm2 udp RcvbufErrors) or in the tunnel.");
        Drops(sb, ok, "pps", "Drops counted during the 64-byte-frame runs", "");
        LinkCounters(sb, ok);
        Unavailable(sb, all);
        Failures(sb, ok);
        Notes(sb, all);
        return sb.ToString();
    }

    private static void Configuration(StringBuilder sb, BenchResult run)
    {
        var c = run.Config;
        sb.AppendLine("## Configuration");
        sb.AppendLine();
        sb.AppendLine($"- Run: {c.StartedUtc:yyyy-MM-dd HH:mm:ss} – {c.EndedUtc:HH:mm:ss} UTC ({Progress.Format(c.EndedUtc - c.StartedUtc)}), mode **{c.Mode}**, VNet commit {c.Commit}.");
        sb.AppendLine($"- Machine: {c.Machine}; load average at start {c.LoadAverage}; {c.BackgroundBusyCores.ToString("0.00", CultureInfo.InvariantCulture)} cores busy with other work while the lab idled before the tests (the machine is shared; every number below is CPU-bound on it).");
        sb.AppendLine($"- Tools: {string.Join("; ", c.Versions.Values)}.");
        sb.AppendLine($"- Lab (labs/bench.xml, namespaces `{c.LabId}-*`): vm1 ~ h1 192.0.2.10 ─ r ─ 198.51.100.10 h2 ~ vm2; every contender runs on the same namespaces, one after the other.");
        sb.AppendLine($"- Substrate: veth pairs through the router namespace, MTU {c.SubstrateMtu}, default offloads.");
        sb.AppendLine($"- VM settings, the same for every contender: **VM MTU {c.VmMtu}** on the VM's eth0 and on its host-side veth; offloads tx/tso/gso/gro **{(c.Offloads ? "on" : "off")}** on both ends of the VM veth{(c.Offloads ? " (the Linux default for veth and virtio NICs: TCP senders hand over 64 KB TSO super-frames)" : "")}. The read-back settings are listed per contender at the end.");
        sb.AppendLine("- Kernel VXLAN, tinc and OpenVPN: the tunnel device and the VM's host-side veth are the two ports of a bridge `br0` in each host namespace; the bridge is removed before VNet is measured (VNet captures on the VM veth directly).");
        var rivalCrypto = run.Contenders.Where(r => r.Family == "rival" && RivalRows.CryptoOf(r.Name) is not null).Select(r => $"`{r.Name}` {RivalRows.CryptoOf(r.Name)}").ToList();
        if (rivalCrypto.Count > 0) sb.AppendLine($"- Rivals' crypto: {string.Join("; ", rivalCrypto)}.");
        if (run.Contenders.Any(r => r.Family == "vnet"))
            sb.AppendLine("- VNet's protection: every row without a suffix is authenticated, the product's default (a 16-byte AES-256-GCM tag on every capsule under a per-link key from negotiation, a replay window per sender; the frame stays readable); `+encrypt` (`--encrypt`) also encrypts the frame; `+noauth` (`--auth off`) carries no tag and checks nothing — there to measure what authentication costs.");
        sb.AppendLine($"- Tests per contender: ping ×{c.PingCount}; TCP {c.TcpRuns} × {c.TcpSeconds:0} s; UDP {c.UdpRuns} × {c.UdpSeconds:0} s at {string.Join(", ", c.UdpRates.Select(ContenderMeasurement.Rate))} with {c.VmMtu - 28}-byte datagrams; 64-byte frames {c.PpsRuns} × {c.PpsSeconds:0} s. UDP socket buffers (iperf3 -w, both ends, every contender): {(c.UdpSocketBufferBytes == 0 ? "iperf3's default" : $"{c.UdpSocketBufferBytes >> 10} KiB")} (net.core.rmem_max {c.RmemMax}), so that the loss is the tunnel's rather than the receiving application's. iperf3 sends its default random payload, which does not compress: the `+lz4` rows show the cost of trying, and a compressible ping burst (see the notes) shows whether compression happens at all.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["contender", "configuration"], run.Contenders.Select(r => (IReadOnlyList<string>)[r.Name, r.Description])));
        sb.AppendLine();
    }

    private static void Drops(StringBuilder sb, List<Summary> ok, string test, string title, string text)
    {
        var rows = ok.Select(s => (s, d: s.Drops(test))).ToList();
        sb.AppendLine($"## {title}");
        sb.AppendLine();
        if (text.Length > 0) { sb.AppendLine(text); sb.AppendLine(); }
        sb.AppendLine("Sources: UDP InErrors (RcvbufErrors are part of them; both in “where”) and SndbufErrors (/proc/net/snmp) and rx/tx dropped of every interface in each lab namespace, raw-socket drops (/proc/net/raw) in the hosts, softnet backlog drops (machine-wide, so other work counts too), and VNet's `link stats` drops.");
        sb.AppendLine();
        var udp = test != "tcp";
        if (udp)
        {
            sb.AppendLine("“lost” is what iperf3 sent minus what the receiving iperf3 got (datagrams); “not counted” is the part of it that no counter along the path accounts for (lost − UDP InErrors − raw-socket, interface and VNet link drops; softnet left out as machine-wide): loss at a point nothing counts, such as a capture ring.");
            sb.AppendLine();
        }
        string[] header = ["contender", udp ? "lost" : "TCP retransmits", "UDP InErrors", "raw socket drops", "interface drops", "VNet link drops", "softnet (machine)", .. udp ? new[] { "not counted" } : [], "where"];
        sb.Append(MarkdownTable.Render(header,
            rows.Select(x =>
            {
                long Sum(Func<string, bool> f) => x.d.Where(kv => f(kv.Key)).Sum(kv => kv.Value);
                var samples = x.s.Result.Samples.Where(t => t.Test == test && t.Ok).ToList();
                var lost = samples.Sum(t => Math.Max(0, t.PacketsSent - t.PacketsReceived));
                var counted = Sum(k => k.EndsWith(" udp InErrors", StringComparison.Ordinal) || k.EndsWith(" raw drops", StringComparison.Ordinal)
                    || k.EndsWith("_dropped", StringComparison.Ordinal) || k.StartsWith("link ", StringComparison.Ordinal));
                // RcvbufErrors are counted in InErrors too: name InErrors only where they are more than the buffer overflows.
                var where = string.Join(", ", x.d
                    .Where(kv => !(kv.Key.EndsWith(" udp InErrors", StringComparison.Ordinal) && x.d.GetValueOrDefault(kv.Key.Replace("InErrors", "RcvbufErrors", StringComparison.Ordinal)) == kv.Value))
                    .OrderByDescending(kv => kv.Value).Take(4).Select(kv => $"{kv.Key} {kv.Value}"));
                return (IReadOnlyList<string>)[x.s.Name,
                    udp ? lost.ToString(CultureInfo.InvariantCulture) : samples.Sum(t => t.Retransmits).ToString(CultureInfo.InvariantCulture),
                    Sum(k => k.EndsWith(" udp InErrors", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture),
                    Sum(k => k.EndsWith(" raw drops", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture),
                    Sum(k => k.EndsWith("_dropped", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture),
                    Sum(k => k.StartsWith("link ", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture),
                    Sum(k => k.StartsWith("softnet", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture),
                    .. udp ? new[] { Math.Max(0, lost - counted).ToString(CultureInfo.InvariantCulture) } : [],
                    where.Length == 0 ? "none" : where];
            })));
        sb.AppendLine();
    }

    private static void LinkCounters(StringBuilder sb, List<Summary> ok)
    {
        var vnet = ok.Where(s => s.Result.Family == "vnet").ToList();
        if (vnet.Count == 0) return;
        sb.AppendLine("## VNet link counters (all tests)");
        sb.AppendLine();
        sb.AppendLine("From `link stats`, summed over the tests: frames each host sent to the substrate and delivered to its VM, frames sent compressed, frames larger than one packet (“fragmented”: IP fragments on the raw kinds, trains of datagrams on the UDP kinds, docs/wire-format.md), capsule bytes per frame byte.");
        sb.AppendLine();
        sb.Append(MarkdownTable.Render(["contender", "vm→net frames", "net→vm frames", "compressed", "fragmented", "wire/frame bytes"],
            vnet.Select(s =>
            {
                var k = s.LinkCounters;
                long Sum(string suffix) => k.Where(kv => kv.Key.EndsWith(suffix, StringComparison.Ordinal)).Sum(kv => kv.Value);
                var bytes = Sum("vm->net bytes");
                return (IReadOnlyList<string>)[s.Name, Sum("vm->net frames").ToString(CultureInfo.InvariantCulture), Sum("net->vm frames").ToString(CultureInfo.InvariantCulture),
                    Sum("vm->net compressed").ToString(CultureInfo.InvariantCulture), Sum("vm->net fragmented").ToString(CultureInfo.InvariantCulture),
                    bytes == 0 ? "–" : (Sum("vm->net wire-bytes") / (double)bytes).ToString("0.000", CultureInfo.InvariantCulture)];
            })));
        sb.AppendLine();
    }

    private static void Unavailable(StringBuilder sb, List<Summary> all)
    {
        var missing = all.Where(s => !s.Result.Available).ToList();
        if (missing.Count == 0) return;
        sb.AppendLine("## Not available");
        sb.AppendLine();
        foreach (var s in missing) sb.AppendLine($"- **{s.Name}**: not available: {s.Result.UnavailableReason}");
        sb.AppendLine();
    }

    private static void Failures(StringBuilder sb, List<Summary> ok)
    {
        var failed = ok.SelectMany(s => s.Failures.Select(f => (s.Name, f))).ToList();
        if (failed.Count == 0) return;
        sb.AppendLine("## Tests that failed");
        sb.AppendLine();
        foreach (var (name, f) in failed)
            sb.AppendLine($"- {name} {f.Test} run {f.Run}{(f.OfferedBitsPerSecond > 0 ? " at " + ContenderMeasurement.Rate(f.OfferedBitsPerSecond) : "")}: {f.Error}");
        sb.AppendLine();
    }

    private static void Notes(StringBuilder sb, List<Summary> all)
    {
        sb.AppendLine("## Per contender");
        sb.AppendLine();
        foreach (var s in all)
        {
            var r = s.Result;
            // The four NIC read-backs usually agree: say it once then.
            var settings = r.VmSettings.Select(v => v[(v.IndexOf(": ", StringComparison.Ordinal) + 2)..]).Distinct().ToList();
            var lines = r.Notes.Concat(settings.Count == 1 ? [$"VM NICs read back (both VMs, both ends of each veth): {settings[0]}"] : r.VmSettings).ToList();
            if (r.Available) lines.Insert(0, Inv($"measured in {r.Seconds:0} s, interface MTU {r.Mtu}"));
            if (lines.Count == 0) continue;
            sb.AppendLine($"- **{s.Name}**: {string.Join("; ", lines)}.");
        }
        sb.AppendLine();
        sb.AppendLine("Raw numbers (every run, every counter) are in the JSON file of the same name; `sudo ./vnet bench --from FILE.json` renders this report and the plots again from it.");
    }

    private static void Image(StringBuilder sb, string? file, string alt)
    {
        sb.AppendLine();
        if (file is not null) { sb.AppendLine($"![{alt}]({file})"); sb.AppendLine(); }
    }

    /// <summary>
    /// The better of the rival rows <paramref name="names"/> (default: tinc and OpenVPN without crypto)
    /// on a metric (null when none has a value).
    /// </summary>
    public static Summary? BestRival(IEnumerable<Summary> ok, Func<Summary, double> metric, bool higherIsBetter, IReadOnlyList<string>? names = null)
    {
        names ??= RivalRows.NoCrypto;
        var rivals = ok.Where(s => s.Result.Family == "rival" && names.Contains(s.Name) && !double.IsNaN(metric(s))).ToList();
        if (rivals.Count == 0) return null;
        return higherIsBetter ? rivals.MaxBy(metric) : rivals.MinBy(metric);
    }

    private static string Ratio(double value, double? reference) =>
        reference is not { } r || double.IsNaN(r) || r == 0 || double.IsNaN(value) ? "–" : (value / r).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    private static string N(double? v, string format = "0") => v is not { } x || double.IsNaN(x) ? "–" : x.ToString(format, CultureInfo.InvariantCulture);

    private static string Signed(double v) => double.IsNaN(v) ? "–" : v.ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
