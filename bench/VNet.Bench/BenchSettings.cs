using System.Globalization;

namespace VNet.Bench;

/// <summary>The benchmark's command line; <c>--quick</c> and <c>--only</c> make a development run.</summary>
public sealed record BenchSettings
{
    /// <summary>"full", "quick" or "partial" (full settings but not every contender, or changed durations).</summary>
    public string Mode { get; init; } = "full";

    /// <summary>TCP runs per contender (the median is reported).</summary>
    public int TcpRuns { get; init; } = 3;

    /// <summary>Seconds per TCP run.</summary>
    public double TcpSeconds { get; init; } = 10;

    /// <summary>Offered UDP rates of the UDP sweep.</summary>
    public IReadOnlyList<long> UdpRates { get; init; } = [100_000_000, 250_000_000, 500_000_000, 750_000_000, 1_000_000_000, 1_500_000_000, 2_000_000_000];

    /// <summary>Runs per offered UDP rate.</summary>
    public int UdpRuns { get; init; } = 1;

    /// <summary>Seconds per UDP run.</summary>
    public double UdpSeconds { get; init; } = 5;

    /// <summary>
    /// Socket buffer of both iperf3 ends in the UDP tests (iperf3 -w), the same for every contender:
    /// with the default 208 KiB the receiving application's socket, not the tunnel, loses most
    /// datagrams on a busy machine (even the substrate lost 0.4 % at 500M). 0: iperf3's default.
    /// </summary>
    public int UdpSocketBufferBytes { get; init; } = 4 << 20;

    /// <summary>Runs of the 64-byte-frame test.</summary>
    public int PpsRuns { get; init; } = 3;

    /// <summary>Seconds per 64-byte-frame run.</summary>
    public double PpsSeconds { get; init; } = 4;

    /// <summary>UDP payload giving 64-byte Ethernet frames counted with the FCS (14 + 20 + 8 + 18 + 4), as RFC 2544 counts them.</summary>
    public int PpsPayload { get; init; } = 18;

    /// <summary>Offered rate of the 64-byte-frame test: far above what anything here forwards, still a bound.</summary>
    public long PpsOfferedBitsPerSecond { get; init; } = 200_000_000;

    /// <summary>Pings per contender.</summary>
    public int PingCount { get; init; } = 100;

    /// <summary>Seconds between pings.</summary>
    public double PingInterval { get; init; } = 0.05;

    /// <summary>The VM MTU every contender gets (VM eth0 and its host-side veth).</summary>
    public int VmMtu { get; init; } = 1400;

    /// <summary>
    /// Checksum and segmentation offloads (tx, tso, gso, gro) on both ends of every VM veth, the same
    /// for every contender: on is the Linux default for veth and virtio NICs.
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>Contender names or families to run (null: all).</summary>
    public IReadOnlyList<string>? Only { get; init; }

    /// <summary>Where the report, plots and raw JSON go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("bench", "results");

    /// <summary>The lab file.</summary>
    public string LabFile { get; init; } = Path.Combine("labs", "bench.xml");

    /// <summary>
    /// The lab id; its namespaces are named after it (<c>vb-h1</c>, …). Another id lets a second run
    /// share the machine with one already using the default (another checkout's benchmark).
    /// </summary>
    public string LabId { get; init; } = Lab.BenchLab.DefaultId;

    /// <summary>Re-render the report and plots from this saved raw JSON instead of measuring.</summary>
    public string? FromJson { get; init; }

    /// <summary>The iperf3 port.</summary>
    public int Port { get; init; } = 5201;

    /// <summary>The quick profile: a few minutes, for development.</summary>
    public static BenchSettings Quick { get; } = new()
    {
        Mode = "quick",
        TcpRuns = 1,
        TcpSeconds = 3,
        UdpRates = [100_000_000, 500_000_000, 1_000_000_000],
        UdpSeconds = 2,
        PpsRuns = 1,
        PpsSeconds = 2,
        PingCount = 20,
    };

    /// <summary>The usage text.</summary>
    /// <summary>The usage text (bench/usage.txt, which bench/run also prints for --help without building).</summary>
    public static string Usage { get; } = ReadUsage();

    private static string ReadUsage()
    {
        using var stream = typeof(BenchSettings).Assembly.GetManifestResourceStream("VNet.Bench.usage.txt")!;
        return new StreamReader(stream).ReadToEnd().TrimEnd();
    }


    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the usage on errors.</summary>
    public static BenchSettings Parse(string[] args)
    {
        var s = args.Contains("--quick") ? Quick : new BenchSettings();
        var changed = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            int Int(string v, int min, int max) => int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n : throw new ArgumentException($"'{v}' is not a number in {min}..{max}");
            switch (args[i])
            {
                case "--quick": break;
                case "--only": s = s with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }; changed = true; break;
                case "--runs": s = s with { TcpRuns = Int(Next(), 1, 20), PpsRuns = Int(args[i], 1, 20) }; changed = true; break;
                case "--seconds": s = s with { TcpSeconds = Int(Next(), 1, 60) }; changed = true; break;
                case "--vm-mtu": s = s with { VmMtu = Int(Next(), 576, 9000) }; changed = true; break;
                case "--udp-buffer": s = s with { UdpSocketBufferBytes = Int(Next(), 0, 64 << 20) }; changed = true; break;
                case "--offloads": s = s with { Offloads = Next() switch { "on" => true, "off" => false, var v => throw new ArgumentException($"--offloads takes on or off, not '{v}'") } }; break;
                case "--out": s = s with { OutputDirectory = Next() }; break;
                case "--lab": s = s with { LabFile = Next() }; changed = true; break;
                case "--lab-id" or "--prefix": s = s with { LabId = LabIdValue(Next()) }; break;
                case "--from": s = s with { FromJson = Next() }; break;
                case "--help" or "-h": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }
        if (changed && s.Mode == "full") s = s with { Mode = "partial" };
        return s;
    }

    /// <summary>A lab id: 1–6 lowercase letters and digits, starting with a letter (namespace names stay short).</summary>
    private static string LabIdValue(string v) =>
        v.Length is >= 1 and <= 6 && char.IsAsciiLetterLower(v[0]) && v.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            ? v
            : throw new ArgumentException($"--prefix '{v}' must be 1-6 lowercase letters and digits, starting with a letter");

}
