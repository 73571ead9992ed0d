using System.Globalization;

namespace VNet.Host.Observability;

/// <summary>
/// The memory totals of one process from /proc/PID/smaps_rollup (proc(5), Linux 4.14 and later), in
/// bytes. Resident memory alone counts every shared library page the process maps; the private part
/// is what this process alone costs the machine, and the proportional set size (PSS) shares each
/// shared page among the processes that map it, so the PSS of all vnetd nodes of a lab adds up.
/// </summary>
/// <param name="Resident">Rss: every page of the process in memory.</param>
/// <param name="Proportional">Pss: each page divided by the number of processes that map it.</param>
/// <param name="Private">Private_Clean + Private_Dirty: pages no other process maps.</param>
/// <param name="Anonymous">Anonymous: pages backed by no file (managed heap, malloc, thread stacks).</param>
public sealed record SmapsRollup(long Resident, long Proportional, long Private, long Anonymous)
{
    /// <summary>Where the kernel shows the rollup of the calling process.</summary>
    public const string SelfPath = "/proc/self/smaps_rollup";

    /// <summary>
    /// Parses the text of smaps_rollup: its <c>Name:   N kB</c> lines after the header line.
    /// </summary>
    /// <exception cref="FormatException">Rss, Pss, Private_Clean, Private_Dirty or Anonymous is missing or not a size in kB.</exception>
    public static SmapsRollup Parse(string text)
    {
        var kb = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            if (!value.EndsWith(" kB", StringComparison.Ordinal)) continue;
            if (long.TryParse(value[..^3].TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                kb[line[..colon].Trim()] = size;
        }
        long Field(string name) => kb.TryGetValue(name, out var v)
            ? v * 1024
            : throw new FormatException($"smaps_rollup has no '{name}: N kB' line");
        return new(Field("Rss"), Field("Pss"), Field("Private_Clean") + Field("Private_Dirty"), Field("Anonymous"));
    }

    /// <summary>The rollup of this process, or null where the kernel has no smaps_rollup (before 4.14, or no /proc).</summary>
    public static SmapsRollup? ReadSelf()
    {
        try
        {
            return Parse(File.ReadAllText(SelfPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
