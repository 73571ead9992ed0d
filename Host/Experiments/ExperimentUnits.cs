using System.Globalization;
using System.Text.RegularExpressions;

namespace VNet.Host.Experiments;

/// <summary>The units of experiment files: durations such as <c>500ms</c>, <c>2.5s</c>, <c>1m</c>.</summary>
public static partial class ExperimentUnits
{
    /// <summary>Parses a duration (a number with ms, s or m); false for anything else, negative numbers included.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text is null || DurationPattern().Match(text.Trim()) is not { Success: true } m) return false;
        var number = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var ms = m.Groups[2].Value switch { "ms" => number, "s" => number * 1000, _ => number * 60_000 };
        if (ms > TimeSpan.FromDays(1).TotalMilliseconds) return false;
        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>Writes a duration the way files write it: <c>1.5s</c>, <c>250ms</c>.</summary>
    public static string Format(TimeSpan t) => t.TotalSeconds >= 1 || t == TimeSpan.Zero
        ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$")]
    private static partial Regex DurationPattern();
}
