using System.Threading.Channels;
using VNet.Messages.Commands;

namespace VNet.Actors.Logs;

/// <summary>
/// The node's most recent log lines, at most <see cref="Capacity"/> (the oldest go first), and the
/// followers that receive new lines as they are added. A follower that does not keep up loses its
/// oldest unread lines, never blocks the logger. Safe to use from several threads.
/// </summary>
public sealed class LogRing(int capacity)
{
    private readonly LogLine?[] _lines = capacity > 0 ? new LogLine?[capacity] : throw new ArgumentOutOfRangeException(nameof(capacity), "a log ring holds at least one line");
    private readonly List<ChannelWriter<LogLine>> _followers = [];
    private readonly Lock _lock = new();
    private long _added;

    /// <summary>How many lines the ring keeps.</summary>
    public int Capacity => _lines.Length;

    /// <summary>Lines added since the start (kept or not).</summary>
    public long Added
    {
        get { lock (_lock) return _added; }
    }

    /// <summary>Keeps <paramref name="line"/> and hands it to every follower.</summary>
    public void Add(LogLine line)
    {
        lock (_lock)
        {
            _lines[_added % _lines.Length] = line;
            _added++;
            foreach (var follower in _followers) follower.TryWrite(line);
        }
    }

    /// <summary>The last <paramref name="count"/> lines at <paramref name="level"/> or above, oldest first.</summary>
    public List<LogLine> Last(int count, NodeLogLevel level)
    {
        lock (_lock) return LastLocked(count, level);
    }

    private List<LogLine> LastLocked(int count, NodeLogLevel level)
    {
        var picked = new List<LogLine>();
        var kept = (int)Math.Min(_added, _lines.Length);
        for (var i = 1; i <= kept && picked.Count < count; i++)
        {
            var line = _lines[(_added - i) % _lines.Length]!;
            if (line.Level >= level) picked.Add(line);
        }
        picked.Reverse();
        return picked;
    }

    /// <summary>
    /// The last <paramref name="count"/> lines at <paramref name="level"/> or above, and, from the same
    /// instant (no line lost or shown twice in between), a reader of every line added after them,
    /// holding at most <paramref name="backlog"/> unread lines. Dispose the follower to stop it.
    /// </summary>
    public (List<LogLine> Recent, Follower Follower) Follow(int count, NodeLogLevel level, int backlog = 1000)
    {
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(backlog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _followers.Add(channel.Writer);
            return (LastLocked(count, level), new Follower(this, channel));
        }
    }

    private void Remove(ChannelWriter<LogLine> writer)
    {
        lock (_lock) _followers.Remove(writer);
        writer.TryComplete();
    }

    /// <summary>New lines of the ring, as they are added, until disposed.</summary>
    public sealed class Follower(LogRing ring, Channel<LogLine> channel) : IDisposable
    {
        /// <summary>The new lines.</summary>
        public ChannelReader<LogLine> Lines => channel.Reader;

        /// <inheritdoc/>
        public void Dispose() => ring.Remove(channel.Writer);
    }
}
