using System.Globalization;

namespace VNet.Bench.Results;

/// <summary>Whether a goal was met.</summary>
public enum GoalStatus
{
    /// <summary>Met, by the measured ratio or value.</summary>
    Met,
    /// <summary>Not met.</summary>
    NotMet,
    /// <summary>Could not be evaluated (a contender or test is missing).</summary>
    NotEvaluated,
}

/// <summary>One goal, evaluated on one run.</summary>
public sealed record GoalRow(string Goal, string Target, string Measured, GoalStatus Status);

/// <summary>
/// The goals the report evaluates. Each is a ratio or a value from this run alone; nothing here
/// times anything. The goals against tinc and OpenVPN by name use their no-crypto rows; VNet's
/// authenticated and encrypted rows are held against the faster of the rivals' crypto rows
/// (<see cref="RivalRows.Encrypted"/>), and the cost of authentication against VNet's own
/// <c>+noauth</c> rows.
/// </summary>
public static class Goals
{
    /// <summary>Evaluates every goal over the run's summaries.</summary>
    public static List<GoalRow> Evaluate(IReadOnlyList<Summary> all, BenchConfig config)
    {
        Summary? Get(string name) => all.FirstOrDefault(s => s.Name == name && s.Result.Available);
        string Why(params string[] names) => "not measured: " + string.Join(", ", names.Where(n => Get(n) is null).Select(n =>
            all.FirstOrDefault(s => s.Name == n) is { Result.UnavailableReason: { } r } ? $"{n} not available ({Short(r)})" : $"{n} not in this run"));
        var raw = Get("raw-p2p");
        var rows = new List<GoalRow>
        {
            TcpRatio("raw-p2p TCP ≥ 2.0 × tinc (no crypto)", "raw-p2p", "tinc", 2.0),
            TcpRatio("raw-p2p TCP ≥ 2.0 × OpenVPN (no crypto)", "raw-p2p", "openvpn", 2.0),
            TcpRatio("raw-p2p TCP ≥ 0.5 × kernel VXLAN (same VM settings)", "raw-p2p", "vxlan", 0.5),
            TcpRatio("udp-p2p TCP ≥ 1.5 × tinc (no crypto)", "udp-p2p", "tinc", 1.5),
            EveryKindAheadOfTinc(),
            VsEncryptedRival("raw-p2p (authenticated) TCP ≥ 3.0 × the faster encrypted rival", "raw-p2p", 3.0),
            VsEncryptedRival("udp-p2p (authenticated) TCP ≥ 3.0 × the faster encrypted rival", "udp-p2p", 3.0),
            VsEncryptedRival("raw-p2p+encrypt TCP ≥ 2.0 × the faster encrypted rival", "raw-p2p+encrypt", 2.0),
            VsEncryptedRival("udp-p2p+encrypt TCP ≥ 2.0 × the faster encrypted rival", "udp-p2p+encrypt", 2.0),
            TcpRatio("authentication costs ≤ 15 %: raw-p2p TCP ≥ 0.85 × raw-p2p+noauth", "raw-p2p", "raw-p2p+noauth", 0.85, "0.00"),
            TcpRatio("authentication costs ≤ 15 %: udp-p2p TCP ≥ 0.85 × udp-p2p+noauth", "udp-p2p", "udp-p2p+noauth", 0.85, "0.00"),
            TcpRatio("kernel-p2p TCP ≥ 0.9 × hand-made kernel VXLAN (same VM settings)", "kernel-p2p", "vxlan", 0.9, "0.0"),
            RttAddedRatio("kernel-p2p RTT added ≤ 1.2 × hand-made VXLAN's (median, over the substrate)", "kernel-p2p", "vxlan", 1.2),
        };

        var substrate = Get("substrate");
        if (raw is null || substrate is null || double.IsNaN(raw.RttMedian) || double.IsNaN(substrate.RttMedian))
            rows.Add(new GoalRow("RTT added over the substrate ≤ 0.1 ms (median, raw-p2p)", "≤ 0.100 ms", Why("raw-p2p", "substrate"), GoalStatus.NotEvaluated));
        else
        {
            var added = raw.RttMedian - substrate.RttMedian;
            rows.Add(new GoalRow("RTT added over the substrate ≤ 0.1 ms (median, raw-p2p)", "≤ 0.100 ms",
                Inv($"{added:0.000} ms (raw-p2p {raw.RttMedian:0.000} − substrate {substrate.RttMedian:0.000})"), added <= 0.1 ? GoalStatus.Met : GoalStatus.NotMet));
        }

        const long rate500 = 500_000_000;
        if (!config.UdpRates.Contains(rate500))
            rows.Add(new GoalRow("UDP loss ≤ 1 % at 500 Mbit/s offered (raw-p2p)", "≤ 1 %", "not measured: 500M is not among this run's rates", GoalStatus.NotEvaluated));
        else if (raw is null || double.IsNaN(raw.UdpLoss(rate500)))
            rows.Add(new GoalRow("UDP loss ≤ 1 % at 500 Mbit/s offered (raw-p2p)", "≤ 1 %", Why("raw-p2p"), GoalStatus.NotEvaluated));
        else
        {
            var loss = raw.UdpLoss(rate500);
            rows.Add(new GoalRow("UDP loss ≤ 1 % at 500 Mbit/s offered (raw-p2p)", "≤ 1 %",
                Inv($"{loss:0.00} % ({raw.UdpMbps(rate500):0} Mbit/s received)"), loss <= 1 ? GoalStatus.Met : GoalStatus.NotMet));
        }

        var tinc = Get("tinc");
        if (raw is null || tinc is null || double.IsNaN(raw.TunnelCpuPerGB) || double.IsNaN(tinc.TunnelCpuPerGB) || tinc.TunnelCpuPerGB <= 0)
            rows.Add(new GoalRow("CPU per GB ≤ 0.5 × tinc's (raw-p2p's vnetd vs tincd)", "≤ 0.50×", Why("raw-p2p", "tinc"), GoalStatus.NotEvaluated));
        else
        {
            var ratio = raw.TunnelCpuPerGB / tinc.TunnelCpuPerGB;
            rows.Add(new GoalRow("CPU per GB ≤ 0.5 × tinc's (raw-p2p's vnetd vs tincd)", "≤ 0.50×",
                Inv($"{ratio:0.00}× ({raw.TunnelCpuPerGB:0.00} vs {tinc.TunnelCpuPerGB:0.00} CPU-s/GB)"), ratio <= 0.5 ? GoalStatus.Met : GoalStatus.NotMet));
        }
        return rows;

        GoalRow TcpRatio(string goal, string a, string b, double target, string format = "0.0")
        {
            var x = Get(a);
            var y = Get(b);
            var shown = target.ToString(format, CultureInfo.InvariantCulture);
            if (x is null || y is null || double.IsNaN(x.TcpMbps) || double.IsNaN(y.TcpMbps) || y.TcpMbps <= 0)
                return new GoalRow(goal, $"≥ {shown}×", Why(a, b), GoalStatus.NotEvaluated);
            var (ratio, status) = AtLeast(x.TcpMbps, y.TcpMbps, target);
            return new GoalRow(goal, $"≥ {shown}×", Inv($"{ratio:0.00}× ({x.TcpMbps:0} vs {y.TcpMbps:0} Mbit/s)"), status);
        }

        // What a contender adds to the substrate's round trip, against what another adds: at most target times as much.
        GoalRow RttAddedRatio(string goal, string a, string b, double target)
        {
            var (x, y, s) = (Get(a), Get(b), Get("substrate"));
            var shown = Inv($"≤ {target:0.0}×");
            if (x is null || y is null || s is null || double.IsNaN(x.RttMedian) || double.IsNaN(y.RttMedian) || double.IsNaN(s.RttMedian))
                return new GoalRow(goal, shown, Why(a, b, "substrate"), GoalStatus.NotEvaluated);
            var (addedX, addedY) = (x.RttMedian - s.RttMedian, y.RttMedian - s.RttMedian);
            if (addedY <= 0)
                return new GoalRow(goal, shown, Inv($"{b} adds nothing measurable ({addedY:0.000} ms): no ratio"), GoalStatus.NotEvaluated);
            var ratio = addedX / addedY;
            return new GoalRow(goal, shown, Inv($"{ratio:0.00}× ({a} +{addedX:0.000} ms, {b} +{addedY:0.000} ms)"), ratio <= target ? GoalStatus.Met : GoalStatus.NotMet);
        }

        // The reference is the faster of the rivals' crypto rows measured in this run; a missing one is named.
        GoalRow VsEncryptedRival(string goal, string a, double target)
        {
            var x = Get(a);
            var rivals = RivalRows.Encrypted.Select(Get).OfType<Summary>().Where(r => !double.IsNaN(r.TcpMbps) && r.TcpMbps > 0).ToList();
            var missing = RivalRows.Encrypted.Where(n => !rivals.Any(r => r.Name == n)).ToList();
            if (x is null || double.IsNaN(x.TcpMbps) || rivals.Count == 0)
                return new GoalRow(goal, Inv($"≥ {target:0.0}×"), Why([a, .. RivalRows.Encrypted]), GoalStatus.NotEvaluated);
            var faster = FasterOf(rivals.Select(r => (r.Name, r.TcpMbps)));
            var (ratio, status) = AtLeast(x.TcpMbps, faster.Mbps, target);
            var note = missing.Count == 0 ? "" : $"; {string.Join(", ", missing)} not measured";
            return new GoalRow(goal, Inv($"≥ {target:0.0}×"), Inv($"{ratio:0.00}× ({x.TcpMbps:0} vs {faster.Name} {faster.Mbps:0} Mbit/s{note})"), status);
        }

        GoalRow EveryKindAheadOfTinc()
        {
            const string goal = "every VNet link kind ahead of tinc (no crypto; TCP, with and without compression)";
            var t = Get("tinc");
            // The kinds as a user gets them (authenticated), each with and without compression.
            var vnet = all.Where(s => s.Result.Family == "vnet" && !s.Name.EndsWith("+noauth", StringComparison.Ordinal) && !s.Name.EndsWith("+encrypt", StringComparison.Ordinal)).ToList();
            if (t is null || double.IsNaN(t.TcpMbps) || vnet.Count == 0) return new GoalRow(goal, "> 1.0× each", Why("tinc"), GoalStatus.NotEvaluated);
            var parts = new List<string>();
            var met = true;
            foreach (var v in vnet)
            {
                if (!v.Result.Available || double.IsNaN(v.TcpMbps)) { parts.Add($"{v.Name} not available"); met = false; continue; }
                var ratio = v.TcpMbps / t.TcpMbps;
                parts.Add(Inv($"{v.Name} {ratio:0.00}×"));
                met &= ratio > 1.0;
            }
            return new GoalRow(goal, "> 1.0× each", string.Join(", ", parts), met ? GoalStatus.Met : GoalStatus.NotMet);
        }
    }

    /// <summary>
    /// <paramref name="value"/> ÷ <paramref name="reference"/> and whether it reaches
    /// <paramref name="target"/>; NaN and not evaluated when the reference is not a positive number.
    /// </summary>
    public static (double Ratio, GoalStatus Status) AtLeast(double value, double reference, double target)
    {
        if (double.IsNaN(value) || double.IsNaN(reference) || reference <= 0) return (double.NaN, GoalStatus.NotEvaluated);
        var ratio = value / reference;
        return (ratio, ratio >= target ? GoalStatus.Met : GoalStatus.NotMet);
    }

    /// <summary>The faster of some rows by their rate (the first on a tie); throws on none.</summary>
    public static (string Name, double Mbps) FasterOf(IEnumerable<(string Name, double Mbps)> rows) =>
        rows.Aggregate((best, r) => r.Mbps > best.Mbps ? r : best);

    private static string Short(string reason) => reason.Length <= 80 ? reason : reason[..77] + "…";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
