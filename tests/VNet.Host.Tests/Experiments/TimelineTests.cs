using System.Collections.Immutable;
using VNet.Host.Experiments;

namespace VNet.Host.Tests.Experiments;

/// <summary>The timeline in virtual time: order of entries and the lateness of each.</summary>
public class TimelineTests
{
    /// <summary>A clock that only moves when the code under test waits or a step "takes" time.</summary>
    private sealed class VirtualClock : IExperimentClock
    {
        public TimeSpan Elapsed { get; set; }

        public Task WaitUntilAsync(TimeSpan at, CancellationToken cancel)
        {
            if (at > Elapsed) Elapsed = at;
            return Task.CompletedTask;
        }
    }

    private static CommandStep Command(double at, string text) => new(TimeSpan.FromSeconds(at), default, text, [.. text.Split(' ')]);

    private static ExperimentRun Run(ImmutableArray<ExperimentStep> steps, ImmutableArray<Measurement> measurements) =>
        new(0, ImmutableDictionary<string, string>.Empty, 0, steps, measurements);

    [Fact]
    public void Entries_start_in_time_order_with_measurements_before_a_step_at_the_same_time()
    {
        var ping = new PingMeasurement("p", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), default, "vm1", "vm2", TimeSpan.FromMilliseconds(200));
        var timeline = new Timeline(Run([Command(0, "link show"), Command(5, "link set"), Command(10, "link delete")], [ping]));
        Assert.Equal(["link show", "start ping p", "link set", "link delete"], timeline.Entries.Select(e => e.Describe()));
    }

    [Fact]
    public async Task A_slow_step_makes_the_next_late_by_what_it_overran_and_the_one_after_is_on_time()
    {
        var clock = new VirtualClock();
        var timeline = new Timeline(Run([Command(0, "a"), Command(1, "b"), Command(5, "c")], []));
        var ran = new List<(string, TimeSpan)>();
        var timings = await timeline.RunAsync(clock, timing =>
        {
            ran.Add((timing.Entry.Describe(), clock.Elapsed));
            // Step a takes 1.3 s of virtual time, b 0.2 s.
            clock.Elapsed += timing.Entry.Describe() == "a" ? TimeSpan.FromMilliseconds(1300) : TimeSpan.FromMilliseconds(200);
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(["a", "b", "c"], ran.Select(r => r.Item1));
        Assert.Equal([0, 300, 0], timings.Select(t => t.Lateness.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(1.3), timings[1].Actual);
        Assert.Equal(TimeSpan.FromSeconds(5), timings[2].Actual);
    }

    [Fact]
    public async Task Cancelling_stops_the_timeline_before_the_next_entry()
    {
        var clock = new VirtualClock();
        using var cancel = new CancellationTokenSource();
        var timeline = new Timeline(Run([Command(0, "a"), Command(1, "b")], []));
        var ran = new List<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => timeline.RunAsync(clock, timing =>
        {
            ran.Add(timing.Entry.Describe());
            cancel.Cancel();
            return Task.CompletedTask;
        }, cancel.Token));
        Assert.Equal(["a"], ran);
    }

    [Fact]
    public void Nothing_starts_early_so_lateness_is_never_negative()
    {
        var entry = new TimelineEntry(TimeSpan.FromSeconds(2), 0, Command(2, "a"), null);
        Assert.Equal(TimeSpan.Zero, Timeline.Timing(entry, TimeSpan.FromSeconds(1.5)).Lateness);
        Assert.Equal(TimeSpan.FromMilliseconds(40), Timeline.Timing(entry, TimeSpan.FromSeconds(2.04)).Lateness);
    }
}
