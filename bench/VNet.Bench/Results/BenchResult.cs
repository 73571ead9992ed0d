using System.Text.Json;
using System.Text.Json.Serialization;

namespace VNet.Bench.Results;

/// <summary>One iperf3 test of one contender, with the CPU and drop counters read around it.</summary>
public sealed record TestSample
{
    /// <summary>"tcp", "udp" (the offered-rate sweep) or "pps" (64-byte frames).</summary>
    public required string Test { get; init; }

    /// <summary>1-based run number.</summary>
    public int Run { get; init; }

    /// <summary>Offered rate for UDP tests (iperf3 -b), bit/s.</summary>
    public long OfferedBitsPerSecond { get; init; }

    /// <summary>UDP payload length (iperf3 -l).</summary>
    public int PayloadBytes { get; init; }

    /// <summary>Rate the receiver got, Mbit/s.</summary>
    public double ReceivedMbps { get; init; }

    /// <summary>Rate the sender sent, Mbit/s.</summary>
    public double SentMbps { get; init; }

    /// <summary>UDP loss seen by the receiving iperf3, percent.</summary>
    public double LossPercent { get; init; }

    /// <summary>TCP retransmissions counted by the sender.</summary>
    public long Retransmits { get; init; }

    /// <summary>Payload bytes the receiver got.</summary>
    public long Bytes { get; init; }

    /// <summary>UDP datagrams sent.</summary>
    public long PacketsSent { get; init; }

    /// <summary>UDP datagrams received (counted minus lost).</summary>
    public long PacketsReceived { get; init; }

    /// <summary>Test duration as iperf3 measured it.</summary>
    public double Seconds { get; init; }

    /// <summary>utime+stime of the tunnel's processes during the test, seconds.</summary>
    public double TunnelCpuSeconds { get; init; }

    /// <summary>Busy CPU time of the whole machine during the test, seconds (all cores).</summary>
    public double SystemBusySeconds { get; init; }

    /// <summary>Elapsed CPU-time of the whole machine during the test (cores × wall), seconds.</summary>
    public double SystemTotalSeconds { get; init; }

    /// <summary>Drop counters that moved during the test.</summary>
    public Dictionary<string, long> Drops { get; init; } = [];

    /// <summary>The contender's own counters that moved (VNet: frames, compressed, bytes per host and direction).</summary>
    public Dictionary<string, long> LinkCounters { get; init; } = [];

    /// <summary>Why the test produced no numbers, if it failed.</summary>
    public string? Error { get; init; }

    /// <summary>True when the test produced numbers.</summary>
    [JsonIgnore]
    public bool Ok => Error is null;
}

/// <summary>Round-trip times of one contender.</summary>
public sealed record PingSample(int Sent, int Received, double MedianMs, double AvgMs, double MdevMs, double MinMs, double MaxMs);

/// <summary>Everything measured for one contender.</summary>
public sealed record ContenderResult
{
    /// <summary>Short name ("tinc", "raw-p2p+lz4").</summary>
    public required string Name { get; init; }

    /// <summary>substrate, kernel, rival or vnet.</summary>
    public required string Family { get; init; }

    /// <summary>How it was configured.</summary>
    public required string Description { get; init; }

    /// <summary>False when it could not be set up; see <see cref="UnavailableReason"/>.</summary>
    public bool Available { get; init; }

    /// <summary>Why it could not be measured.</summary>
    public string? UnavailableReason { get; init; }

    /// <summary>MTU of the client's interface during the tests (VM eth0, or h1 eth0 for the substrate).</summary>
    public int Mtu { get; init; }

    /// <summary>The tests.</summary>
    public List<TestSample> Samples { get; init; } = [];

    /// <summary>Round-trip times.</summary>
    public PingSample? Ping { get; init; }

    /// <summary>Largest summed VmRSS of the tunnel processes seen after a test, MiB.</summary>
    public double? RssMiB { get; init; }

    /// <summary>Summed VmHWM (peak RSS since start) of the tunnel processes, MiB.</summary>
    public double? PeakRssMiB { get; init; }

    /// <summary>The tunnel processes, "name (pid)"; empty for kernel tunnels.</summary>
    public List<string> Processes { get; init; } = [];

    /// <summary>The VM NIC settings read back before the tests.</summary>
    public List<string> VmSettings { get; init; } = [];

    /// <summary>Versions, MTUs and anything else worth knowing.</summary>
    public List<string> Notes { get; init; } = [];

    /// <summary>Wall time the contender took, set-up and tear-down included.</summary>
    public double Seconds { get; init; }
}

/// <summary>How the run was configured, on what.</summary>
public sealed record BenchConfig
{
    /// <summary>"full", "quick" or "partial".</summary>
    public required string Mode { get; init; }

    /// <summary>Start, UTC.</summary>
    public DateTime StartedUtc { get; init; }

    /// <summary>End, UTC.</summary>
    public DateTime EndedUtc { get; init; }

    /// <summary>Kernel, CPUs, CPU model.</summary>
    public string Machine { get; init; } = "";

    /// <summary>VNet commit the run used.</summary>
    public string Commit { get; init; } = "";

    /// <summary>Tool versions (iperf3, tinc, OpenVPN).</summary>
    public Dictionary<string, string> Versions { get; init; } = [];

    /// <summary>The common VM MTU.</summary>
    public int VmMtu { get; init; }

    /// <summary>iperf3 -w of the UDP tests (0: iperf3's default; runs before this field existed used the default).</summary>
    public int UdpSocketBufferBytes { get; init; }

    /// <summary>net.core.rmem_max during the run (caps the UDP socket buffer).</summary>
    public long RmemMax { get; init; }

    /// <summary>Offloads on both ends of every VM veth (runs before this field existed had them off).</summary>
    public bool Offloads { get; init; }

    /// <summary>The substrate MTU (h1 eth0).</summary>
    public int SubstrateMtu { get; init; }

    /// <summary>TCP runs per contender.</summary>
    public int TcpRuns { get; init; }

    /// <summary>Seconds per TCP run.</summary>
    public double TcpSeconds { get; init; }

    /// <summary>Offered UDP rates, bit/s.</summary>
    public List<long> UdpRates { get; init; } = [];

    /// <summary>Runs per UDP rate.</summary>
    public int UdpRuns { get; init; }

    /// <summary>Seconds per UDP run.</summary>
    public double UdpSeconds { get; init; }

    /// <summary>Runs of the 64-byte-frame test.</summary>
    public int PpsRuns { get; init; }

    /// <summary>Seconds per 64-byte-frame run.</summary>
    public double PpsSeconds { get; init; }

    /// <summary>UDP payload of the 64-byte-frame test.</summary>
    public int PpsPayload { get; init; }

    /// <summary>Offered rate of the 64-byte-frame test, bit/s.</summary>
    public long PpsOfferedBitsPerSecond { get; init; }

    /// <summary>Pings per contender.</summary>
    public int PingCount { get; init; }

    /// <summary>Seconds between pings.</summary>
    public double PingInterval { get; init; }

    /// <summary>Cores busy with other work on the machine while the lab idled before the tests.</summary>
    public double BackgroundBusyCores { get; init; }

    /// <summary>/proc/loadavg at the start.</summary>
    public string LoadAverage { get; init; } = "";

    /// <summary>The lab id (its namespaces are ID-h1, …); "vb" in runs from before it could be chosen.</summary>
    public string LabId { get; init; } = "vb";
}

/// <summary>A whole benchmark run: what the report and the plots are made from (saved as JSON beside them).</summary>
public sealed record BenchResult(BenchConfig Config, List<ContenderResult> Contenders)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The run as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a run saved with <see cref="ToJson"/>.</summary>
    public static BenchResult FromJson(string json) => JsonSerializer.Deserialize<BenchResult>(json, Json) ?? throw new JsonException("empty benchmark result");
}
