using VNet.Actors.Discovery;
using VNet.Messages;

namespace VNet.Actors.Tests.Discovery;

public sealed class SearchScheduleTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(2);

    /// <summary>Drives a schedule with a virtual clock tick by tick (every 100 ms) and records when each query goes out.</summary>
    private static (List<(int Ttl, TimeSpan At)> Queries, SearchEnd Reason, TimeSpan EndedAt) Run(SearchSchedule s, Func<TimeSpan, int>? answersAt = null)
    {
        var queries = new List<(int, TimeSpan)>();
        var first = s.Start(T0);
        queries.Add((first.Ttl, TimeSpan.Zero));
        for (var t = TimeSpan.FromMilliseconds(100); t < TimeSpan.FromMinutes(10); t += TimeSpan.FromMilliseconds(100))
        {
            if (answersAt is not null)
            {
                var a = s.OnAnswers(answersAt(t));
                if (a.Kind == SearchStepKind.Done) return (queries, a.Reason!.Value, t);
            }
            var step = s.OnTick(T0 + t);
            if (step.Kind == SearchStepKind.Send) queries.Add((step.Ttl, t));
            if (step.Kind == SearchStepKind.Done) return (queries, step.Reason!.Value, t);
        }
        throw new InvalidOperationException("the schedule never ended");
    }

    [Fact]
    public void Ttl_grows_by_one_every_step_up_to_the_maximum_then_waits_one_step()
    {
        var (queries, reason, endedAt) = Run(new SearchSchedule(ttlMax: 4, want: 0, Step));
        Assert.Equal([(1, TimeSpan.Zero), (2, Step), (3, 2 * Step), (4, 3 * Step)], queries);
        Assert.Equal(SearchEnd.TtlMaxReached, reason);
        Assert.Equal(4 * Step, endedAt);
    }

    [Fact]
    public void Search_stops_as_soon_as_the_wanted_number_answered()
    {
        // Two hosts: the first answers the TTL-2 query, the second the TTL-3 query.
        var (queries, reason, endedAt) = Run(new SearchSchedule(ttlMax: 8, want: 2, Step),
            t => t >= 2 * Step + TimeSpan.FromMilliseconds(50) ? 2 : t >= Step + TimeSpan.FromMilliseconds(50) ? 1 : 0);
        Assert.Equal([1, 2, 3], queries.Select(q => q.Ttl));
        Assert.Equal(SearchEnd.WantReached, reason);
        Assert.InRange(endedAt, 2 * Step, 2 * Step + TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Want_zero_means_search_to_the_maximum_whatever_answers()
    {
        var (queries, reason, _) = Run(new SearchSchedule(ttlMax: 2, want: 0, Step), _ => 50);
        Assert.Equal([1, 2], queries.Select(q => q.Ttl));
        Assert.Equal(SearchEnd.TtlMaxReached, reason);
    }

    [Fact]
    public void A_late_timer_does_not_shift_the_rest_of_the_schedule()
    {
        var s = new SearchSchedule(ttlMax: 4, want: 0, Step);
        s.Start(T0);
        Assert.Equal(SearchStepKind.Wait, s.OnTick(T0 + TimeSpan.FromSeconds(1.9)).Kind);
        var late = s.OnTick(T0 + TimeSpan.FromSeconds(2.7));
        Assert.Equal((SearchStepKind.Send, 2), (late.Kind, late.Ttl));
        Assert.Equal(T0 + TimeSpan.FromSeconds(4), late.Until);
        var next = s.OnTick(T0 + TimeSpan.FromSeconds(4));
        Assert.Equal((SearchStepKind.Send, 3), (next.Kind, next.Ttl));
    }

    [Fact]
    public void Cancel_ends_the_search_once()
    {
        var s = new SearchSchedule(ttlMax: 4, want: 0, Step);
        s.Start(T0);
        Assert.Equal(SearchEnd.Cancelled, s.Cancel().Reason);
        Assert.Equal(SearchEnd.Cancelled, s.OnTick(T0 + Step).Reason);
        Assert.Equal(SearchEnd.Cancelled, s.OnAnswers(10).Reason);
    }

    [Fact]
    public void Out_of_range_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchSchedule(0, 0, Step));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchSchedule(256, 0, Step));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchSchedule(4, -1, Step));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchSchedule(4, 0, TimeSpan.Zero));
    }
}
