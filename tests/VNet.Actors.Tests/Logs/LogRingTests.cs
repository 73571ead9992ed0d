using VNet.Actors.Logs;
using VNet.Messages.Commands;

namespace VNet.Actors.Tests.Logs;

/// <summary>The ring of recent log lines: bounded, filtered by level, and followed without losing or repeating a line.</summary>
public sealed class LogRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static LogLine Line(int i, NodeLogLevel level = NodeLogLevel.Info) => new(T0.AddSeconds(i), level, "test", $"line {i}");

    [Fact]
    public void The_ring_keeps_only_the_most_recent_lines_oldest_first()
    {
        var ring = new LogRing(3);
        for (var i = 0; i < 5; i++) ring.Add(Line(i));
        Assert.Equal(["line 2", "line 3", "line 4"], ring.Last(10, NodeLogLevel.Debug).Select(l => l.Message));
        Assert.Equal(["line 3", "line 4"], ring.Last(2, NodeLogLevel.Debug).Select(l => l.Message));
        Assert.Equal(5, ring.Added);
    }

    [Fact]
    public void Last_counts_only_lines_at_the_level_or_above()
    {
        var ring = new LogRing(10);
        ring.Add(Line(0, NodeLogLevel.Warning));
        ring.Add(Line(1, NodeLogLevel.Debug));
        ring.Add(Line(2, NodeLogLevel.Error));
        ring.Add(Line(3, NodeLogLevel.Info));
        Assert.Equal(["line 0", "line 2"], ring.Last(5, NodeLogLevel.Warning).Select(l => l.Message));
        Assert.Equal(["line 2", "line 3"], ring.Last(2, NodeLogLevel.Info).Select(l => l.Message));
        Assert.Empty(ring.Last(0, NodeLogLevel.Debug));
    }

    [Fact]
    public void A_follower_gets_every_line_after_its_recent_ones_and_nothing_after_it_is_disposed()
    {
        var ring = new LogRing(10);
        ring.Add(Line(0));
        var (recent, follower) = ring.Follow(5, NodeLogLevel.Debug);
        ring.Add(Line(1));
        ring.Add(Line(2));
        Assert.Equal(["line 0"], recent.Select(l => l.Message));
        Assert.True(follower.Lines.TryRead(out var first) && first.Message == "line 1");
        Assert.True(follower.Lines.TryRead(out var second) && second.Message == "line 2");
        follower.Dispose();
        ring.Add(Line(3));
        Assert.False(follower.Lines.TryRead(out _));
        Assert.True(follower.Lines.Completion.IsCompleted);
    }

    [Fact]
    public void A_slow_follower_loses_its_oldest_unread_lines_and_never_blocks_the_ring()
    {
        var ring = new LogRing(100);
        var (_, follower) = ring.Follow(0, NodeLogLevel.Debug, backlog: 2);
        for (var i = 0; i < 50; i++) ring.Add(Line(i));
        var read = new List<string>();
        while (follower.Lines.TryRead(out var l)) read.Add(l.Message);
        Assert.Equal(["line 48", "line 49"], read);
    }

    [Fact]
    public void Levels_parse_as_operators_write_them()
    {
        Assert.Equal(NodeLogLevel.Debug, NodeLog.ParseLevel("DEBUG"));
        Assert.Equal(NodeLogLevel.Warning, NodeLog.ParseLevel("warn"));
        Assert.Equal(NodeLogLevel.Error, NodeLog.ParseLevel(" error "));
        Assert.Null(NodeLog.ParseLevel("verbose"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRing(0));
    }
}
