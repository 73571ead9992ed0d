using System.Collections.Immutable;
using System.Diagnostics;

namespace VNet.Host.Experiments;

/// <summary>The experiment's clock: time since the start of a run, and waiting for a time. Injected, so the timeline runs in virtual time under test.</summary>
public interface IExperimentClock
{
    /// <summary>Time since the start of the run.</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Returns at <paramref name="at"/> (at once when it has passed).</summary>
    Task WaitUntilAsync(TimeSpan at, CancellationToken cancel);
}

/// <summary>The real clock: a stopwatch started when the run starts.</summary>
public sealed class StopwatchClock : IExperimentClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    /// <inheritdoc/>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <inheritdoc/>
    public async Task WaitUntilAsync(TimeSpan at, CancellationToken cancel)
    {
        var wait = at - _watch.Elapsed;
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancel);
    }
}

/// <summary>Something the timeline starts at a time: a step, or the start of a measurement.</summary>
public sealed record TimelineEntry(TimeSpan At, int Order, ExperimentStep? Step, Measurement? Measurement)
{
    /// <summary>"link set --id l1 --bandwidth 60M" or "start ping rtt".</summary>
    public string Describe() => Step?.Describe() ?? $"start {Measurement!.GetType().Name.Replace("Measurement", "").ToLowerInvariant()} {Measurement.Name}";
}

/// <summary>When an entry was due and when it ran; <see cref="Lateness"/> is how much later than due it started.</summary>
public sealed record TimelineTiming(TimelineEntry Entry, TimeSpan Scheduled, TimeSpan Actual)
{
    /// <summary>Actual minus scheduled start (never negative: nothing starts early).</summary>
    public TimeSpan Lateness => Actual - Scheduled;
}

/// <summary>
/// The timeline of one run as a pure core: its entries in the order they start (by time; at the same
/// time, measurements first, so they see the step, then the file's order), and the lateness of each
/// entry from the time it was due and the time it started.
/// </summary>
public sealed class Timeline
{
    /// <summary>Builds the timeline of <paramref name="run"/>.</summary>
    public Timeline(ExperimentRun run)
    {
        var entries = run.Measurements.Select((m, i) => new TimelineEntry(m.Start, i, null, m))
            .Concat(run.Steps.Select((s, i) => new TimelineEntry(s.At, run.Measurements.Length + i, s, null)));
        Entries = [.. entries.OrderBy(e => e.At).ThenBy(e => e.Order)];
    }

    /// <summary>Every entry in the order it starts.</summary>
    public ImmutableArray<TimelineEntry> Entries { get; }

    /// <summary>The timing of <paramref name="entry"/> when it started at <paramref name="actual"/>.</summary>
    public static TimelineTiming Timing(TimelineEntry entry, TimeSpan actual) => new(entry, entry.At, actual < entry.At ? entry.At : actual);

    /// <summary>
    /// Runs the entries in order on <paramref name="clock"/>: waits until each is due, starts it and
    /// records its timing. A step is awaited before the next entry starts (steps are sequential, as
    /// a user typing them would be); a measurement's start returns at once and it runs on its own.
    /// <paramref name="start"/> gets each entry with its timing.
    /// </summary>
    public async Task<ImmutableArray<TimelineTiming>> RunAsync(IExperimentClock clock, Func<TimelineTiming, Task> start, CancellationToken cancel)
    {
        var timings = ImmutableArray.CreateBuilder<TimelineTiming>();
        foreach (var entry in Entries)
        {
            cancel.ThrowIfCancellationRequested();
            await clock.WaitUntilAsync(entry.At, cancel);
            var timing = Timing(entry, clock.Elapsed);
            timings.Add(timing);
            await start(timing);
        }
        return timings.ToImmutable();
    }
}
