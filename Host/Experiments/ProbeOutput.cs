using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VNet.Host.Experiments;

/// <summary>One reporting interval of iperf3, as the receiver saw it where it reported (else the sender).</summary>
/// <param name="End">End of the interval, seconds since the test started.</param>
/// <param name="BitsPerSecond">Rate of the interval.</param>
/// <param name="Retransmits">TCP retransmits in the interval (sender side; 0 for UDP).</param>
/// <param name="LostPercent">UDP datagrams lost in the interval (0 for TCP).</param>
/// <param name="JitterMs">UDP jitter (0 for TCP).</param>
public sealed record IperfInterval(double End, double BitsPerSecond, long Retransmits, double LostPercent, double JitterMs);

/// <summary>What one iperf3 run reported: its intervals and, when it ran to the end, its totals.</summary>
public sealed record IperfReport(ImmutableArray<IperfInterval> Intervals, double? BitsPerSecond, double? LostPercent, long? Retransmits, string? Error)
{
    /// <summary>The mean rate over the run: iperf3's total, or the mean of the intervals when it was interrupted.</summary>
    public double MeanBitsPerSecond => BitsPerSecond ?? (Intervals.IsEmpty ? double.NaN : Intervals.Average(i => i.BitsPerSecond));

    /// <summary>UDP loss over the run (NaN for TCP runs without it).</summary>
    public double MeanLostPercent => LostPercent ?? (Intervals.IsEmpty ? double.NaN : Intervals.Average(i => i.LostPercent));

    /// <summary>
    /// Parses iperf3's <c>--json</c> output of a client run with <c>--get-server-output</c>: the
    /// server's (receiver's) intervals where present, the client's otherwise, and the retransmits of
    /// the client's intervals. An interrupted run (SIGINT) still prints the intervals it has, with an error.
    /// </summary>
    public static IperfReport Parse(string json, bool udp)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return new IperfReport([], null, null, null, json.Length == 0 ? "iperf3 printed nothing" : "iperf3 printed no JSON: " + (json.Length > 200 ? json[..200] : json));
        }
        var error = root?["error"]?.GetValue<string>();
        var client = ReadIntervals(root?["intervals"]);
        var server = ReadIntervals(root?["server_output_json"]?["intervals"]);
        // UDP: the client only knows what it sent; loss and jitter are the server's.
        var chosen = server.Count > 0 ? server : client;
        var merged = chosen.Select((s, i) => s with { Retransmits = i < client.Count ? client[i].Retransmits : 0 }).ToImmutableArray();
        var end = root?["end"];
        double? bps = null, lost = null;
        long? retransmits = null;
        if (end?["sum_received"] is { } received && !udp) bps = received["bits_per_second"]?.GetValue<double>();
        if (udp && (end?["sum_received"] ?? end?["sum"]) is { } sum)
        {
            bps = sum["bits_per_second"]?.GetValue<double>();
            lost = sum["lost_percent"]?.GetValue<double>();
        }
        if (end?["sum_sent"]?["retransmits"] is { } r) retransmits = r.GetValue<long>();
        // An interrupted run has an "end" with zeros; its intervals are what was measured.
        if (error is not null) { bps = null; lost = null; }
        return new IperfReport(merged, bps, lost, retransmits, error);
    }

    private static List<IperfInterval> ReadIntervals(JsonNode? intervals) =>
        (intervals as JsonArray ?? []).Select(i => i?["sum"]).OfType<JsonNode>().Select(s => new IperfInterval(
            s["end"]?.GetValue<double>() ?? 0,
            s["bits_per_second"]?.GetValue<double>() ?? 0,
            s["retransmits"]?.GetValue<long>() ?? 0,
            s["lost_percent"]?.GetValue<double>() ?? 0,
            s["jitter_ms"]?.GetValue<double>() ?? 0)).ToList();
}

/// <summary>One line of <c>ping -D -O</c>: a reply (with its round trip) or a request that got none.</summary>
/// <param name="Epoch">ping's timestamp (Unix seconds) of the line.</param>
/// <param name="Sequence">icmp_seq.</param>
/// <param name="RttMs">The round trip; null for "no answer yet".</param>
public sealed partial record PingLine(double Epoch, int Sequence, double? RttMs)
{
    /// <summary>Parses a line of <c>ping -D -O</c>; null for lines that are neither a reply nor a missing one (the header, the summary, errors).</summary>
    public static PingLine? Parse(string line)
    {
        if (Reply().Match(line) is { Success: true } r)
            return new PingLine(double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(r.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(r.Groups[3].Value, CultureInfo.InvariantCulture));
        if (NoAnswer().Match(line) is { Success: true } n)
            return new PingLine(double.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(n.Groups[2].Value, CultureInfo.InvariantCulture), null);
        return null;
    }

    /// <summary>
    /// One row per request, in sequence order: when it was sent (a reply's time minus its round trip;
    /// a missing one's report time minus one interval, as ping reports it when it sends the next) and
    /// its round trip, or null when no reply came (a late reply after "no answer yet" still counts).
    /// </summary>
    public static ImmutableArray<(double Epoch, int Sequence, double? RttMs)> Requests(IEnumerable<PingLine> lines, double intervalSeconds) =>
        [.. lines.GroupBy(l => l.Sequence).OrderBy(g => g.Key).Select(g =>
        {
            var reply = g.FirstOrDefault(l => l.RttMs is not null);
            return reply is not null
                ? (reply.Epoch - reply.RttMs!.Value / 1000, g.Key, reply.RttMs)
                : (g.First().Epoch - intervalSeconds, g.Key, (double?)null);
        })];

    [GeneratedRegex(@"^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms")]
    private static partial Regex Reply();

    [GeneratedRegex(@"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")]
    private static partial Regex NoAnswer();
}
