using VNet.Bench.Measuring;

namespace VNet.Bench.Results;

/// <summary>The numbers the report shows for one contender, derived from its samples.</summary>
public sealed class Summary(ContenderResult r)
{
    /// <summary>The contender.</summary>
    public ContenderResult Result => r;

    /// <summary>Name.</summary>
    public string Name => r.Name;

    private IEnumerable<TestSample> Ok(string test) => r.Samples.Where(s => s.Test == test && s.Ok);

    /// <summary>TCP throughput of each run, Mbit/s.</summary>
    public IReadOnlyList<double> TcpRuns => [.. Ok("tcp").Select(s => s.ReceivedMbps)];

    /// <summary>Median TCP throughput, Mbit/s.</summary>
    public double TcpMbps => Stats.Median(TcpRuns);

    /// <summary>Median TCP retransmits per run.</summary>
    public double TcpRetransmits => Stats.Median(Ok("tcp").Select(s => (double)s.Retransmits));

    /// <summary>Median UDP rate received at an offered rate, Mbit/s.</summary>
    public double UdpMbps(long offered) => Stats.Median(Ok("udp").Where(s => s.OfferedBitsPerSecond == offered).Select(s => s.ReceivedMbps));

    /// <summary>Median UDP rate sent at an offered rate, Mbit/s.</summary>
    public double UdpSentMbps(long offered) => Stats.Median(Ok("udp").Where(s => s.OfferedBitsPerSecond == offered).Select(s => s.SentMbps));

    /// <summary>Median UDP loss at an offered rate, percent.</summary>
    public double UdpLoss(long offered) => Stats.Median(Ok("udp").Where(s => s.OfferedBitsPerSecond == offered).Select(s => s.LossPercent));

    /// <summary>The best UDP rate received at any offered rate, Mbit/s.</summary>
    public double UdpMaxMbps => Ok("udp").Select(s => s.OfferedBitsPerSecond).Distinct().Select(UdpMbps).DefaultIfEmpty(double.NaN).Max();

    /// <summary>Median 64-byte frames received per second.</summary>
    public double FramesPerSecond => Stats.Median(Ok("pps").Select(s => s.PacketsReceived / Math.Max(s.Seconds, 1e-9)));

    /// <summary>Median 64-byte frames sent per second.</summary>
    public double FramesSentPerSecond => Stats.Median(Ok("pps").Select(s => s.PacketsSent / Math.Max(s.Seconds, 1e-9)));

    private double PerGB(Func<TestSample, double> cpu)
    {
        var tcp = Ok("tcp").ToList();
        var gb = tcp.Sum(s => s.Bytes) / 1e9;
        return gb <= 0 ? double.NaN : tcp.Sum(cpu) / gb;
    }

    /// <summary>CPU seconds of the tunnel's own processes per GB delivered in the TCP runs (NaN for kernel tunnels).</summary>
    public double TunnelCpuPerGB => r.Processes.Count == 0 ? double.NaN : PerGB(s => s.TunnelCpuSeconds);

    /// <summary>Busy CPU seconds of the whole machine per GB delivered in the TCP runs.</summary>
    public double SystemCpuPerGB => PerGB(s => s.SystemBusySeconds);

    /// <summary>Average busy cores of the whole machine during the TCP runs.</summary>
    public double SystemBusyCores
    {
        get
        {
            var tcp = Ok("tcp").ToList();
            var total = tcp.Sum(s => s.SystemTotalSeconds);
            return total <= 0 ? double.NaN : tcp.Sum(s => s.SystemBusySeconds) / total * Environment.ProcessorCount;
        }
    }

    /// <summary>Average cores the tunnel's processes used during the TCP runs.</summary>
    public double TunnelCores
    {
        get
        {
            var tcp = Ok("tcp").ToList();
            var wall = tcp.Sum(s => s.SystemTotalSeconds) / Environment.ProcessorCount;
            return r.Processes.Count == 0 || wall <= 0 ? double.NaN : tcp.Sum(s => s.TunnelCpuSeconds) / wall;
        }
    }

    /// <summary>Median round trip, ms.</summary>
    public double RttMedian => r.Ping?.MedianMs ?? double.NaN;

    /// <summary>Drop counters summed over the samples of one test kind.</summary>
    public Dictionary<string, long> Drops(string test) =>
        r.Samples.Where(s => s.Test == test).SelectMany(s => s.Drops).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));

    /// <summary>The contender's own counters summed over all samples (VNet: link frames, compressed, bytes).</summary>
    public Dictionary<string, long> LinkCounters =>
        r.Samples.SelectMany(s => s.LinkCounters).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));

    /// <summary>Tests that failed.</summary>
    public IEnumerable<TestSample> Failures => r.Samples.Where(s => !s.Ok);
}
