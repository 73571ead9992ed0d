using System.Diagnostics;

namespace VNet.Bench.Measuring;

/// <summary>
/// Progress lines while the benchmark runs: elapsed time, an ETA from the plan (scaled by how the
/// run has kept to its estimates so far), which contender and which test.
/// </summary>
public sealed class Progress(TextWriter output, IReadOnlyList<double> plannedSecondsPerContender)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _consumed;
    private int _contender = -1;
    private string _name = "";

    /// <summary>Elapsed since the plan started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Announces contender <paramref name="index"/> (0-based).</summary>
    public void StartContender(int index, string name, string description)
    {
        _contender = index;
        _name = name;
        output.WriteLine();
        output.WriteLine($"== {name} ({index + 1}/{plannedSecondsPerContender.Count}): {description}");
    }

    /// <summary>Starts a step: prints its line up to the result.</summary>
    public void Begin(string step) => output.Write($"[{Format(_clock.Elapsed)} | ETA {Format(Eta())}] {_name} · {step} ... ");

    /// <summary>Ends the current step with its result; <paramref name="estimate"/> is what the plan gave it.</summary>
    public void End(string result, double estimate)
    {
        output.WriteLine(result);
        _consumed += estimate;
    }

    /// <summary>Ends the contender: whatever of its plan was not used (skipped tests) counts as done.</summary>
    public void EndContender() => _consumed = plannedSecondsPerContender.Take(_contender + 1).Sum();

    private TimeSpan Eta()
    {
        var remaining = Math.Max(0, plannedSecondsPerContender.Sum() - _consumed);
        // Scale by how long the run has really taken per planned second, once there is enough to go on.
        var factor = _consumed >= 15 ? Math.Clamp(_clock.Elapsed.TotalSeconds / _consumed, 0.5, 3) : 1.2;
        return TimeSpan.FromSeconds(remaining * factor);
    }

    /// <summary>m:ss.</summary>
    public static string Format(TimeSpan t) => $"{(int)t.TotalMinutes}:{t.Seconds:00}";
}
