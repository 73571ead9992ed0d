using System.Globalization;

namespace VNet.Capture.Inventory;

/// <summary>
/// Cumulative CPU time of all CPUs from the aggregate <c>cpu</c> line of /proc/stat, in USER_HZ ticks.
/// </summary>
/// <param name="Total">user + nice + system + idle + iowait + irq + softirq + steal. guest and guest_nice
/// are left out because the kernel already counts them in user and nice.</param>
/// <param name="Idle">idle + iowait: time the CPUs could have run something.</param>
public readonly record struct CpuTimes(ulong Total, ulong Idle)
{
    /// <summary>Total − idle − iowait.</summary>
    public ulong Busy => Total - Idle;

    /// <summary>
    /// The busy fraction in [0, 1] between <paramref name="previous"/> and <paramref name="current"/>;
    /// since boot when there is no previous sample, or when no tick passed or the counters went
    /// backwards (then the delta means nothing).
    /// </summary>
    public static double BusyFraction(CpuTimes? previous, CpuTimes current)
    {
        if (previous is { } before && current.Total > before.Total)
        {
            var total = current.Total - before.Total;
            // iowait may go backwards on some kernels, so the busy delta is computed signed and clamped.
            var busy = (double)current.Busy - before.Busy;
            return Math.Clamp(busy / total, 0, 1);
        }
        return current.Total == 0 ? 0 : Math.Clamp((double)current.Busy / current.Total, 0, 1);
    }
}

/// <summary>
/// Pure parsers for the /proc and /sys texts the load metric needs (proc(5)). They take the file
/// text and never touch the file system; <see cref="ProcLoadReader"/> does the reading.
/// </summary>
public static class ProcLoadParser
{
    /// <summary>
    /// R_f in MiB from /proc/meminfo: <c>MemAvailable</c>, or on kernels before 3.14, which lack it,
    /// MemFree + Buffers + Cached (the estimate MemAvailable replaced).
    /// </summary>
    /// <exception cref="FormatException">Neither MemAvailable nor MemFree is present.</exception>
    public static double ParseFreeRamMiB(string meminfo)
    {
        var fields = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in Lines(meminfo))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3].TrimEnd();
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var kb))
                fields[line[..colon].Trim()] = kb;
        }
        if (fields.TryGetValue("MemAvailable", out var available)) return available / 1024;
        if (fields.TryGetValue("MemFree", out var free))
            return (free + fields.GetValueOrDefault("Buffers") + fields.GetValueOrDefault("Cached")) / 1024;
        throw new FormatException("/proc/meminfo has neither MemAvailable nor MemFree");
    }

    /// <summary>
    /// F_cpu in MHz from /proc/cpuinfo: the mean of the <c>cpu MHz</c> lines (x86 prints one per CPU),
    /// or null when there is none (most ARM kernels).
    /// </summary>
    public static double? ParseCpuInfoMHz(string cpuinfo)
    {
        double sum = 0;
        var count = 0;
        foreach (var line in Lines(cpuinfo))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].Trim() != "cpu MHz") continue;
            if (double.TryParse(line[(colon + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && mhz > 0)
            {
                sum += mhz;
                count++;
            }
        }
        return count == 0 ? null : sum / count;
    }

    /// <summary>
    /// F_cpu in MHz from a cpufreq file (<c>cpuinfo_max_freq</c>, <c>scaling_cur_freq</c>), which holds
    /// one integer in kHz; null when the text is not a positive number.
    /// </summary>
    public static double? ParseCpuFreqKHz(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var khz) && khz > 0 ? khz / 1000.0 : null;

    /// <summary>The aggregate <c>cpu</c> line of /proc/stat.</summary>
    /// <exception cref="FormatException">No <c>cpu</c> line, or fewer than four numbers on it.</exception>
    public static CpuTimes ParseCpuTimes(string stat)
    {
        foreach (var line in Lines(stat))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // fields[0] is "cpu"; then user nice system idle iowait irq softirq steal guest guest_nice.
            var values = new ulong[8];
            var present = Math.Min(fields.Length - 1, values.Length);
            if (present < 4) throw new FormatException($"/proc/stat cpu line has too few fields: '{line}'");
            for (var i = 0; i < present; i++)
            {
                if (!ulong.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                    throw new FormatException($"/proc/stat cpu line has a field that is not a number: '{line}'");
            }
            ulong total = 0;
            foreach (var v in values) total += v;
            return new CpuTimes(total, values[3] + values[4]);
        }
        throw new FormatException("/proc/stat has no aggregate 'cpu' line");
    }

    /// <summary>N_cpu: the number of per-CPU lines (<c>cpu0</c>, <c>cpu1</c>, …) in /proc/stat, i.e. online CPUs.</summary>
    public static int CountCpus(string stat) =>
        Lines(stat).Count(line => line.Length > 3 && line.StartsWith("cpu", StringComparison.Ordinal) && char.IsAsciiDigit(line[3]));

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));
}
