using System.Globalization;

namespace VNet.Messages;

/// <summary>Reading and writing rates and sizes as people write them (100M, 1.5G, 64K).</summary>
public static class Units
{
    /// <summary>Parses a bit rate: a number with an optional k/M/G suffix (powers of 1000) and optional "bit"/"bps"; "0" or "off" = unlimited.</summary>
    public static bool TryParseBitRate(string? text, out long bitsPerSecond)
    {
        bitsPerSecond = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim();
        if (t.Equals("off", StringComparison.OrdinalIgnoreCase) || t.Equals("unlimited", StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var unit in new[] { "bit/s", "bps", "bit", "b" })
            if (t.EndsWith(unit, StringComparison.OrdinalIgnoreCase)) { t = t[..^unit.Length]; break; }
        return TryScaled(t, 1000, out bitsPerSecond);
    }

    /// <summary>Parses a byte size: a number with an optional K/M/G suffix (powers of 1024) and optional "B".</summary>
    public static bool TryParseBytes(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim();
        if (t.EndsWith("iB", StringComparison.Ordinal)) t = t[..^2];
        else if (t.EndsWith('B')) t = t[..^1];
        return TryScaled(t, 1024, out bytes);
    }

    private static bool TryScaled(string t, long step, out long value)
    {
        value = 0;
        if (t.Length == 0) return false;
        long scale = 1;
        switch (char.ToUpperInvariant(t[^1]))
        {
            case 'K': scale = step; t = t[..^1]; break;
            case 'M': scale = step * step; t = t[..^1]; break;
            case 'G': scale = step * step * step; t = t[..^1]; break;
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0 || double.IsInfinity(number)) return false;
        var v = number * scale;
        if (v > long.MaxValue / 2) return false;
        value = (long)Math.Round(v);
        return true;
    }

    /// <summary>A bit rate for people: 100M, 1.5G, 0 = unlimited.</summary>
    public static string FormatBitRate(long bitsPerSecond) => bitsPerSecond switch
    {
        0 => "unlimited",
        >= 1_000_000_000 when bitsPerSecond % 1_000_000 == 0 => (bitsPerSecond / 1e9).ToString("0.###", CultureInfo.InvariantCulture) + "G",
        >= 1_000_000 when bitsPerSecond % 1_000 == 0 => (bitsPerSecond / 1e6).ToString("0.###", CultureInfo.InvariantCulture) + "M",
        >= 1_000 when bitsPerSecond % 1 == 0 && bitsPerSecond % 1000 == 0 => (bitsPerSecond / 1e3).ToString("0.###", CultureInfo.InvariantCulture) + "k",
        _ => bitsPerSecond.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A byte count for people: 1.5 MiB etc.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.##", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / 1024.0).ToString("0.##", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
