using VNet.Capture.Forwarding;
using VNet.Messages;

namespace VNet.Capture.Tests.Forwarding;

public class FrameSchedulerTests
{
    private const long Second = 1_000_000_000; // virtual ticks per second

    private static FrameScheduler Scheduler(LinkOptions options)
    {
        var s = new FrameScheduler(seed: 42, ticksPerSecond: Second);
        s.Configure(options);
        return s;
    }

    [Fact]
    public void No_options_send_every_frame_now()
    {
        var s = Scheduler(LinkOptions.Default);
        Assert.True(s.IsPassThrough);
        Assert.Equal(FrameScheduler.Verdict.Send, s.Offer(1500, 123, out var departure));
        Assert.Equal(123, departure);
    }

    [Fact]
    public void Delay_postpones_departure_by_the_delay()
    {
        var s = Scheduler(LinkOptions.Default with { DelayMs = 10 });
        Assert.False(s.IsPassThrough);
        s.Offer(100, 5 * Second, out var departure);
        Assert.Equal(5 * Second + Second / 100, departure);
    }

    [Fact]
    public void Jitter_stays_within_bounds_and_never_reorders()
    {
        var s = Scheduler(LinkOptions.Default with { DelayMs = 10, JitterMs = 5 });
        long previous = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var now = i * (Second / 10_000);
            s.Offer(100, now, out var departure);
            Assert.InRange(departure - now, 0, Second / 100 + Second / 200);
            Assert.True(departure >= previous, "a frame overtook the one before it");
            previous = departure;
        }
    }

    [Fact]
    public void Shaping_spaces_frames_at_the_rate_after_the_burst()
    {
        // 8 Mbit/s = 1 MB/s: a 1000-byte frame costs 1 ms; burst 3000 bytes = three frames back to back.
        var s = Scheduler(LinkOptions.Default with { BandwidthBitsPerSecond = 8_000_000, BurstBytes = 3000 });
        var departures = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(FrameScheduler.Verdict.Send, s.Offer(1000, 0, out var d));
            departures.Add(d);
        }
        Assert.Equal([0, 0, 0, 0], departures.Take(4).ToArray());
        Assert.Equal(Second / 1000, departures[4]);
        Assert.Equal(6 * Second / 1000, departures[9]);
    }

    [Fact]
    public void Shaped_rate_over_a_long_run_matches_the_setting()
    {
        var s = Scheduler(LinkOptions.Default with { BandwidthBitsPerSecond = 100_000_000 });
        long last = 0;
        var sent = 0L;
        // Offer 1500-byte frames at twice the rate for one second; the shaper's queue limit drops the excess.
        for (long now = 0; now < Second; now += 60_000)
        {
            if (s.Offer(1500, now, out var d) == FrameScheduler.Verdict.Send) { sent += 1500; last = d; }
        }
        var rate = sent * 8.0 / (last / (double)Second);
        Assert.InRange(rate, 95e6, 105e6);
    }

    [Fact]
    public void Shaper_drops_when_a_frame_would_wait_longer_than_the_queue_limit()
    {
        var s = Scheduler(LinkOptions.Default with { BandwidthBitsPerSecond = 1_000_000 });
        var drops = 0;
        for (var i = 0; i < 100; i++)
            if (s.Offer(1500, 0, out _) == FrameScheduler.Verdict.DropShaper) drops++;
        // 1500 bytes cost 12 ms at 1 Mbit/s; within 50 ms only a handful fit.
        Assert.InRange(drops, 90, 97);
    }

    [Fact]
    public void Loss_drops_the_asked_fraction()
    {
        var s = Scheduler(LinkOptions.Default with { LossPercent = 10 });
        var lost = Enumerable.Range(0, 100_000).Count(i => s.Offer(100, i, out _) == FrameScheduler.Verdict.DropLoss);
        Assert.InRange(lost, 9_500, 10_500);
    }
}
