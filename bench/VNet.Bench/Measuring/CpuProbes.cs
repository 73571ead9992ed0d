using System.Globalization;
using VNet.Bench.Contenders;
using VNet.Host.Labs;

namespace VNet.Bench.Measuring;

/// <summary>A reading of CPU time: the tunnel processes' own and the whole machine's busy time.</summary>
public sealed record CpuReading(double TunnelSeconds, double SystemBusySeconds, double SystemTotalSeconds);

/// <summary>Memory of the tunnel processes, summed over them.</summary>
public sealed record MemoryReading(double RssMiB, double PeakRssMiB);

/// <summary>
/// CPU and memory from /proc: utime+stime of the tunnel's processes (/proc/PID/stat, all threads),
/// busy time of the machine (/proc/stat: user+nice+system+irq+softirq+steal), VmRSS and VmHWM.
/// </summary>
public static class CpuProbes
{
    /// <summary>Clock ticks per second of /proc/PID/stat's CPU times (CLK_TCK).</summary>
    public static readonly double TicksPerSecond = ReadTicksPerSecond();

    /// <summary>Reads CPU time now.</summary>
    public static CpuReading Read(IReadOnlyList<TunnelProcess> processes)
    {
        var tunnel = processes.Sum(p => ProcessTicks(p.Pid)) / TicksPerSecond;
        var (busy, total) = SystemTicks();
        return new CpuReading(tunnel, busy / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>utime+stime of a process in clock ticks (0 when it is gone).</summary>
    public static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Busy and total ticks of all CPUs from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) SystemTicks()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user).
        long busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
        return (busy, busy + v[3] + v[4]);
    }

    /// <summary>Summed VmRSS and VmHWM of the processes, in MiB.</summary>
    public static MemoryReading Memory(IReadOnlyList<TunnelProcess> processes)
    {
        double rss = 0, hwm = 0;
        foreach (var p in processes)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{p.Pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss += Kib(line);
                    else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm += Kib(line);
                }
            }
            catch (IOException)
            {
            }
        }
        return new MemoryReading(rss / 1024, hwm / 1024);
    }

    private static double Kib(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static double ReadTicksPerSecond()
    {
        var r = Shell.Run("getconf", ["CLK_TCK"], check: false);
        return double.TryParse(r.Output.Trim(), CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
    }
}
