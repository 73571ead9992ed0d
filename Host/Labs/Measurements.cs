using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VNet.Host.Labs;

/// <summary>Result of a ping run.</summary>
public sealed record PingResult(int Sent, int Received, double AvgMs, double MdevMs, double MinMs, double MaxMs)
{
    /// <summary>Lost percentage.</summary>
    public double LossPercent => Sent == 0 ? 100 : 100.0 * (Sent - Received) / Sent;
}

/// <summary>Result of an iperf3 run (receiver side numbers).</summary>
public sealed record IperfResult(double ReceivedBitsPerSecond, double SentBitsPerSecond, long Retransmits, double LostPercent, double JitterMs, long Bytes)
{
    /// <summary>The rate of each reporting interval (sender side), in bits per second.</summary>
    public IReadOnlyList<double> Intervals { get; init; } = [];

    /// <summary>The rate of each reporting interval as the receiver saw it (TCP runs ask the server for its report).</summary>
    public IReadOnlyList<double> ReceiverIntervals { get; init; } = [];

    /// <summary>UDP datagrams that arrived (receiver side), 0 for TCP.</summary>
    public long Packets { get; init; }
}

/// <summary>ping and iperf3 between lab namespaces, with their outputs parsed. Every run is bounded in time.</summary>
public static partial class Measurements
{
    /// <summary>Pings <paramref name="target"/> from namespace <paramref name="netns"/>.</summary>
    public static PingResult Ping(string netns, string target, int count = 5, double interval = 0.2, int size = 56, bool dontFragment = false, string? device = null)
    {
        var args = new List<string> { "ping", "-n", "-q", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", interval.ToString(CultureInfo.InvariantCulture), "-W", "2", "-s", size.ToString(CultureInfo.InvariantCulture) };
        if (dontFragment) args.AddRange(["-M", "do"]);
        if (device is not null) args.AddRange(["-I", device]);
        args.Add(target);
        var r = Shell.InNetns(netns, args, check: false, timeout: TimeSpan.FromSeconds(count * interval + 10));
        return ParsePing(r.Output);
    }

    /// <summary>Parses ping's summary lines.</summary>
    public static PingResult ParsePing(string output)
    {
        var counts = PingCounts().Match(output);
        var rtt = PingRtt().Match(output);
        int sent = counts.Success ? int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        int received = counts.Success ? int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        double D(int g) => rtt.Success ? double.Parse(rtt.Groups[g].Value, CultureInfo.InvariantCulture) : double.NaN;
        return new PingResult(sent, received, D(2), D(4), D(1), D(3));
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex PingCounts();

    [GeneratedRegex(@"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")]
    private static partial Regex PingRtt();

    /// <summary>
    /// Runs an iperf3 server in <paramref name="serverNetns"/> (one test, then it exits) and the client in
    /// <paramref name="clientNetns"/>; TCP unless <paramref name="udpBitsPerSecond"/> is given.
    /// </summary>
    public static IperfResult Iperf(string serverNetns, string clientNetns, string serverAddress, double seconds, long? udpBitsPerSecond = null, int? udpLength = null, string logDirectory = "/tmp", int port = 5201, int? parallel = null, int omitSeconds = 0)
    {
        var log = Path.Combine(logDirectory, $"iperf3-{serverNetns}-{port}.log");
        var server = Shell.StartDetached(serverNetns, ["iperf3", "-s", "-1", "-J", "-p", port.ToString(CultureInfo.InvariantCulture)], log);
        try
        {
            var args = new List<string> { "iperf3", "-c", serverAddress, "-p", port.ToString(CultureInfo.InvariantCulture), "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "3000" };
            if (udpBitsPerSecond is { } rate) args.AddRange(["-u", "-b", rate.ToString(CultureInfo.InvariantCulture)]);
            else args.Add("--get-server-output");
            if (udpLength is { } len) args.AddRange(["-l", len.ToString(CultureInfo.InvariantCulture)]);
            if (parallel is { } p) args.AddRange(["-P", p.ToString(CultureInfo.InvariantCulture)]);
            if (omitSeconds > 0) args.AddRange(["-O", omitSeconds.ToString(CultureInfo.InvariantCulture)]);
            WaitForListener(serverNetns, port, log);
            var r = Shell.InNetns(clientNetns, args, check: false, timeout: TimeSpan.FromSeconds(seconds + omitSeconds + 30));
            if (r.Exit != 0 || ErrorOf(r.Output) is not null)
                throw new ShellException($"iperf3 {clientNetns} -> {serverAddress} failed: {ErrorOf(r.Output) ?? r.Error.Trim()}");
            return ParseIperf(r.Output, udpBitsPerSecond is not null);
        }
        finally
        {
            if (Shell.Alive(server)) Shell.Run("kill", ["-KILL", server.ToString(CultureInfo.InvariantCulture)], check: false);
        }
    }

    /// <summary>Waits (at most 5 s) until something listens on TCP <paramref name="port"/> in the namespace.</summary>
    private static void WaitForListener(string netns, int port, string log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var ss = Shell.InNetns(netns, ["ss", "-Hltn", $"sport = :{port}"], check: false);
            if (ss.Output.Contains($":{port}", StringComparison.Ordinal)) return;
            Thread.Sleep(50);
        }
        throw new ShellException($"iperf3 server in {netns} is not listening on port {port} after 5 s: {Shell.Tail(log, 5)}");
    }

    private static string? ErrorOf(string json)
    {
        try
        {
            return JsonNode.Parse(json)?["error"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return json.Length == 0 ? "no output" : json.Length > 300 ? json[..300] : json;
        }
    }

    /// <summary>Parses iperf3's JSON output.</summary>
    public static IperfResult ParseIperf(string json, bool udp)
    {
        var root = JsonNode.Parse(json) ?? throw new ShellException("iperf3 printed no JSON");
        var end = root["end"] ?? throw new ShellException("iperf3 JSON has no 'end' section");
        var intervals = (root["intervals"] as JsonArray ?? []).Select(i => i?["sum"]?["bits_per_second"]?.GetValue<double>() ?? 0).ToList();
        var receiverIntervals = (root["server_output_json"]?["intervals"] as JsonArray ?? []).Select(i => i?["sum"]?["bits_per_second"]?.GetValue<double>() ?? 0).ToList();
        if (udp)
        {
            var sum = end["sum"]!;
            var received = end["sum_received"] ?? sum;
            return new IperfResult(
                received["bits_per_second"]!.GetValue<double>(), (end["sum_sent"] ?? sum)["bits_per_second"]!.GetValue<double>(), 0,
                received["lost_percent"]?.GetValue<double>() ?? sum["lost_percent"]?.GetValue<double>() ?? 0,
                received["jitter_ms"]?.GetValue<double>() ?? sum["jitter_ms"]?.GetValue<double>() ?? 0,
                received["bytes"]!.GetValue<long>())
            {
                Intervals = intervals,
                Packets = (received["packets"]?.GetValue<long>() ?? 0) - (received["lost_packets"]?.GetValue<long>() ?? 0),
            };
        }
        var recv = end["sum_received"]!;
        var sent = end["sum_sent"]!;
        return new IperfResult(recv["bits_per_second"]!.GetValue<double>(), sent["bits_per_second"]!.GetValue<double>(),
            sent["retransmits"]?.GetValue<long>() ?? 0, 0, 0, recv["bytes"]!.GetValue<long>()) { Intervals = intervals, ReceiverIntervals = receiverIntervals };
    }
}
