using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Measuring;

/// <summary>One iperf3 test as the client reported it (receiver-side numbers where iperf3 has them).</summary>
public sealed record IperfOutcome(double ReceivedBitsPerSecond, double SentBitsPerSecond, long Retransmits, double LostPercent, long Bytes, long PacketsSent, long PacketsReceived, double Seconds);

/// <summary>
/// iperf3 between two lab namespaces: a one-shot server (<c>-s -1</c>) and a client bounded by
/// <c>-t</c> and by a kill timeout. UDP tests are rate-limited (<c>-b</c>) and give packet counts.
/// </summary>
public static class IperfRunner
{
    /// <summary>Runs one test; throws <see cref="ShellException"/> with iperf3's error when it fails.</summary>
    public static async Task<IperfOutcome> RunAsync(string serverNetns, string clientNetns, string serverAddress, double seconds,
        long? udpBitsPerSecond, int? udpLength, string logDirectory, int port, Func<Task>? beforeClient, CancellationToken cancel, int? socketBuffer = null)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var log = Path.Combine(logDirectory, $"iperf3-server-{port}.log");
        var server = Shell.StartDetached(serverNetns, ["iperf3", "-s", "-1", "-p", p], log);
        try
        {
            await WaitForListenerAsync(serverNetns, port, log, cancel);
            var args = new List<string> { "iperf3", "-c", serverAddress, "-p", p, "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "3000" };
            if (udpBitsPerSecond is { } rate) args.AddRange(["-u", "-b", rate.ToString(CultureInfo.InvariantCulture)]);
            if (udpLength is { } len) args.AddRange(["-l", len.ToString(CultureInfo.InvariantCulture)]);
            if (socketBuffer is { } w) args.AddRange(["-w", w.ToString(CultureInfo.InvariantCulture)]); // both ends: the client passes it to the server
            if (beforeClient is not null) await beforeClient();
            var r = await Proc.InNetnsAsync(clientNetns, args, TimeSpan.FromSeconds(seconds + 20), cancel);
            return Parse(r.Output, udpBitsPerSecond is not null, r.Error);
        }
        finally
        {
            if (Shell.Alive(server)) Shell.Run("kill", ["-KILL", server.ToString(CultureInfo.InvariantCulture)], check: false);
        }
    }

    /// <summary>Parses iperf3's JSON; throws with iperf3's own error text when it reported one.</summary>
    public static IperfOutcome Parse(string json, bool udp, string stderr = "")
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new ShellException($"iperf3 printed no JSON: {(json + stderr).Trim()}");
        }
        if (root?["error"]?.GetValue<string>() is { } error) throw new ShellException($"iperf3: {error}");
        var end = root?["end"] ?? throw new ShellException("iperf3 JSON has no 'end' section");
        var received = end["sum_received"] ?? end["sum"] ?? throw new ShellException("iperf3 JSON has no sum");
        var sent = end["sum_sent"] ?? end["sum"]!;
        double D(JsonNode? n, string k) => n?[k]?.GetValue<double>() ?? 0;
        long L(JsonNode? n, string k) => n?[k] is JsonValue v ? (long)v.GetValue<double>() : 0;
        if (udp)
        {
            // The receiver's view: packets it counted (including lost ones, by sequence gaps) minus the lost.
            var packets = L(received, "packets");
            var lost = L(received, "lost_packets");
            return new IperfOutcome(D(received, "bits_per_second"), D(sent, "bits_per_second"), 0, D(received, "lost_percent"),
                L(received, "bytes"), L(sent, "packets"), Math.Max(0, packets - lost), D(received, "seconds"));
        }
        return new IperfOutcome(D(received, "bits_per_second"), D(sent, "bits_per_second"), L(sent, "retransmits"), 0,
            L(received, "bytes"), 0, 0, D(received, "seconds"));
    }

    private static async Task WaitForListenerAsync(string netns, int port, string log, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var ss = Shell.InNetns(netns, ["ss", "-Hltn", $"sport = :{port}"], check: false);
            if (ss.Output.Contains($":{port}", StringComparison.Ordinal)) return;
            await Task.Delay(30, cancel);
        }
        throw new ShellException($"iperf3 server in {netns} is not listening on port {port} after 5 s: {Shell.Tail(log, 5)}");
    }
}
