using System.Globalization;
using VNet.Bench.Measuring;

namespace VNet.Bench.Scale;

/// <summary>What one vnetd holds at one moment: resident memory and threads, from /proc/PID/status and /proc/PID/task.</summary>
/// <param name="RssMb">VmRSS, MB.</param>
/// <param name="Threads">Every thread.</param>
/// <param name="Forwarders">Forwarder threads: the shared pool's (<c>vnet-fwd…</c>) or the per-link ones (<c>vnet-link-…</c>).</param>
/// <param name="InterfaceWatchers">Netlink interface watchers (<c>vnet-netlink-…</c>), one per watched VM port.</param>
/// <param name="RuntimeWorkers">Workers of the .NET thread pool, which it adds and retires on its own.</param>
public sealed record VnetdFootprint(double RssMb, int Threads, int Forwarders, int InterfaceWatchers, int RuntimeWorkers)
{
    /// <summary>Nothing read (the point failed before).</summary>
    public static VnetdFootprint None { get; } = new(double.NaN, 0, 0, 0, 0);
}

/// <summary>Reads a vnetd's footprint and its CPU use while nothing is sent.</summary>
public static class VnetdProbe
{
    /// <summary>VmRSS (MB) and Threads of <paramref name="pid"/>.</summary>
    public static VnetdFootprint Footprint(int pid)
    {
        double rss = double.NaN;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length < 2) continue;
            var value = parts[1].Trim().Split(' ')[0];
            if (parts[0] == "VmRSS") rss = double.Parse(value, CultureInfo.InvariantCulture) / 1024;
            if (parts[0] == "Threads") threads = int.Parse(value, CultureInfo.InvariantCulture);
        }
        // Thread names as the kernel keeps them (15 characters): the daemon names its own threads.
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).Trim());
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return new VnetdFootprint(rss, threads,
            names.Count(n => n.StartsWith("vnet-fwd", StringComparison.Ordinal) || n.StartsWith("vnet-link-", StringComparison.Ordinal)),
            names.Count(n => n.StartsWith("vnet-netlink-", StringComparison.Ordinal)),
            names.Count(n => n.StartsWith(".NET TP Worker", StringComparison.Ordinal)));
    }

    /// <summary>
    /// utime+stime of <paramref name="pid"/> over <paramref name="window"/> with no traffic, as a
    /// percentage of one core (100 = one core busy all the time).
    /// </summary>
    public static async Task<double> IdleCpuPercentAsync(int pid, TimeSpan window, CancellationToken cancel)
    {
        var before = CpuProbes.ProcessTicks(pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(window, cancel);
        var ticks = CpuProbes.ProcessTicks(pid) - before;
        return 100 * ticks / CpuProbes.TicksPerSecond / clock.Elapsed.TotalSeconds;
    }
}
