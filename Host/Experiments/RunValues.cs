using System.Collections.Immutable;

namespace VNet.Host.Experiments;

/// <summary>
/// The one-number results of a measurement in one run (what sweep plots and the sweep table show):
/// iperf <c>throughput</c> (Mbit/s, receiver side), <c>retransmits</c> (TCP), <c>loss</c> (UDP, %),
/// <c>jitter</c> (UDP, ms); ping <c>rtt</c> (mean, ms) and <c>loss</c> (%).
/// </summary>
public static class RunValues
{
    /// <summary>The values <paramref name="measurement"/> yields per run.</summary>
    public static ImmutableArray<string> Of(Measurement measurement) => measurement switch
    {
        IperfMeasurement { Udp: true } => ["throughput", "loss", "jitter"],
        IperfMeasurement => ["throughput", "retransmits"],
        PingMeasurement => ["rtt", "loss"],
        _ => [],
    };

    /// <summary>The unit of a value, for axis labels and tables.</summary>
    public static string Unit(string value) => value switch
    {
        "throughput" => "Mbit/s",
        "loss" => "%",
        "rtt" or "jitter" => "ms",
        _ => "",
    };
}
