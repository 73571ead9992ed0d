using VNet.Messages;

namespace VNet.Actors.Discovery;

/// <summary>What a search does next: send a query with a TTL, wait until a time, or end.</summary>
public readonly record struct SearchStep(SearchStepKind Kind, int Ttl, DateTime Until, SearchEnd? Reason)
{
    /// <summary>Send a query with <paramref name="ttl"/>, then wait until <paramref name="until"/>.</summary>
    public static SearchStep Send(int ttl, DateTime until) => new(SearchStepKind.Send, ttl, until, null);

    /// <summary>Nothing to do before <paramref name="until"/>.</summary>
    public static SearchStep Wait(DateTime until) => new(SearchStepKind.Wait, 0, until, null);

    /// <summary>The search is over.</summary>
    public static SearchStep Done(SearchEnd reason) => new(SearchStepKind.Done, 0, default, reason);
}

/// <summary>The kinds of <see cref="SearchStep"/>.</summary>
public enum SearchStepKind
{
    /// <summary>Send a query.</summary>
    Send,
    /// <summary>Wait.</summary>
    Wait,
    /// <summary>End.</summary>
    Done,
}

/// <summary>
/// The expanding-TTL schedule of one search, as a pure state machine
/// driven by the caller's clock: a query with TTL 1 at the start, then every <see cref="Step"/> a
/// query with TTL + 1, until <see cref="Want"/> hosts answered or the query with
/// <see cref="TtlMax"/> has had one step to be answered. Times advance by exact steps from the
/// start, so a late timer does not shift the rest of the schedule.
/// </summary>
public sealed class SearchSchedule
{
    private DateTime _next;

    /// <summary>A schedule; <paramref name="want"/> 0 means "search up to <paramref name="ttlMax"/>".</summary>
    /// <exception cref="ArgumentOutOfRangeException">TTL outside 1-255, negative want, or a step that is not positive.</exception>
    public SearchSchedule(int ttlMax, int want, TimeSpan step)
    {
        if (ttlMax is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(ttlMax), ttlMax, "the maximum TTL must be 1-255");
        ArgumentOutOfRangeException.ThrowIfNegative(want);
        if (step <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(step), step, "the step must be positive");
        TtlMax = ttlMax;
        Want = want;
        Step = step;
    }

    /// <summary>The largest TTL tried.</summary>
    public int TtlMax { get; }

    /// <summary>Hosts wanted (0 = no limit).</summary>
    public int Want { get; }

    /// <summary>Time between queries.</summary>
    public TimeSpan Step { get; }

    /// <summary>TTL of the last query sent (0 before <see cref="Start"/>).</summary>
    public int Ttl { get; private set; }

    /// <summary>When the search started.</summary>
    public DateTime StartedAt { get; private set; }

    /// <summary>Why it ended, or null while it runs.</summary>
    public SearchEnd? Ended { get; private set; }

    /// <summary>Starts the search: send TTL 1 now.</summary>
    public SearchStep Start(DateTime now)
    {
        if (Ttl != 0) throw new InvalidOperationException("the search has already started");
        StartedAt = now;
        Ttl = 1;
        _next = now + Step;
        return SearchStep.Send(Ttl, _next);
    }

    /// <summary>The clock reached <paramref name="now"/>: the next query, the end, or more waiting.</summary>
    public SearchStep OnTick(DateTime now)
    {
        if (Ended is { } ended) return SearchStep.Done(ended);
        if (Ttl == 0) throw new InvalidOperationException("the search has not started");
        if (now < _next) return SearchStep.Wait(_next);
        if (Ttl >= TtlMax) return Finish(SearchEnd.TtlMaxReached);
        Ttl++;
        _next += Step;
        return SearchStep.Send(Ttl, _next);
    }

    /// <summary><paramref name="hostsAnswered"/> distinct hosts have answered so far.</summary>
    public SearchStep OnAnswers(int hostsAnswered)
    {
        if (Ended is { } ended) return SearchStep.Done(ended);
        return Want > 0 && hostsAnswered >= Want ? Finish(SearchEnd.WantReached) : SearchStep.Wait(_next);
    }

    /// <summary>Ends the search because the caller cancelled it.</summary>
    public SearchStep Cancel() => Ended is { } ended ? SearchStep.Done(ended) : Finish(SearchEnd.Cancelled);

    /// <summary>The whole duration of a search that finds fewer than <see cref="Want"/> hosts: one step per TTL.</summary>
    public TimeSpan LongestDuration => Step * TtlMax;

    private SearchStep Finish(SearchEnd reason)
    {
        Ended = reason;
        return SearchStep.Done(reason);
    }
}
