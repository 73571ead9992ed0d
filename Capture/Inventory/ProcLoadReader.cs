namespace VNet.Capture.Inventory;

/// <summary>
/// Reads a <see cref="LoadSample"/> from /proc and /sys. It keeps the previous /proc/stat sample, so
/// each <see cref="Read"/> measures C_cpu over the time since the previous one (the first read
/// measures since boot). Thread-safe.
/// </summary>
/// <remarks>
/// F_cpu comes from the <c>cpu MHz</c> lines of /proc/cpuinfo (the current frequency on x86), else
/// from cpu0's cpufreq <c>cpuinfo_max_freq</c>, else <c>scaling_cur_freq</c> (both in kHz), else
/// <see cref="AssumedCpuMHz"/> is used and <see cref="CpuFrequencyAssumed"/> says so.
/// /proc/stat, /proc/meminfo and /proc/cpuinfo are not per network namespace, so a lab's vnetd
/// processes all see the machine's figures.
/// </remarks>
public sealed class ProcLoadReader
{
    /// <summary>F_cpu used when no source gives a frequency.</summary>
    public const double AssumedCpuMHz = 1000;

    /// <summary>cpu0's nominal maximum frequency in kHz (cpufreq).</summary>
    public const string CpuInfoMaxFreqPath = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";

    /// <summary>cpu0's current frequency in kHz (cpufreq).</summary>
    public const string ScalingCurFreqPath = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq";

    private readonly Func<string, string?> _readFile;
    private readonly Lock _gate = new();
    private CpuTimes? _previous;

    /// <summary>
    /// Creates a reader. <paramref name="readFile"/> returns a file's text or null when it does not
    /// exist; the default reads the real files. Tests pass a function over literal texts.
    /// </summary>
    public ProcLoadReader(Func<string, string?>? readFile = null) => _readFile = readFile ?? ReadFileOrNull;

    /// <summary>Where the last <see cref="Read"/> took F_cpu from: <c>/proc/cpuinfo</c>, a cpufreq path, or <c>assumed</c>.</summary>
    public string CpuFrequencySource { get; private set; } = "not read yet";

    /// <summary>True when the last <see cref="Read"/> found no frequency and used <see cref="AssumedCpuMHz"/>.</summary>
    public bool CpuFrequencyAssumed { get; private set; }

    /// <summary>Reads the host's figures now; <paramref name="runningVms"/> is N_vm, which the VM provider knows.</summary>
    /// <exception cref="IOException">/proc/meminfo or /proc/stat cannot be read.</exception>
    /// <exception cref="FormatException">One of them does not look as proc(5) describes.</exception>
    public LoadSample Read(int runningVms)
    {
        var freeRam = ProcLoadParser.ParseFreeRamMiB(Required("/proc/meminfo"));
        var stat = Required("/proc/stat");
        var cpus = ProcLoadParser.CountCpus(stat);
        if (cpus == 0) throw new FormatException("/proc/stat lists no cpuN line");
        var times = ProcLoadParser.ParseCpuTimes(stat);
        var (mhz, source) = ReadFrequency();

        double busy;
        lock (_gate)
        {
            busy = CpuTimes.BusyFraction(_previous, times);
            _previous = times;
            CpuFrequencySource = source;
            CpuFrequencyAssumed = source == "assumed";
        }
        return new LoadSample(runningVms, freeRam, mhz, cpus, busy * cpus * mhz);
    }

    /// <summary>Reads a sample and computes C_n with <see cref="LoadMetric.Compute"/>.</summary>
    public double ReadLoad(int runningVms, double delta = LoadMetric.DefaultDelta) => LoadMetric.Compute(Read(runningVms), delta);

    private (double MHz, string Source) ReadFrequency()
    {
        if (_readFile("/proc/cpuinfo") is { } cpuinfo && ProcLoadParser.ParseCpuInfoMHz(cpuinfo) is { } fromCpuInfo)
            return (fromCpuInfo, "/proc/cpuinfo");
        foreach (var path in new[] { CpuInfoMaxFreqPath, ScalingCurFreqPath })
        {
            if (_readFile(path) is { } text && ProcLoadParser.ParseCpuFreqKHz(text) is { } fromCpuFreq)
                return (fromCpuFreq, path);
        }
        return (AssumedCpuMHz, "assumed");
    }

    private string Required(string path) => _readFile(path) ?? throw new IOException($"{path} does not exist: the load metric needs it");

    private static string? ReadFileOrNull(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }
}
