namespace VNet.Messages.Commands;

/// <summary>How much a node logs, from the most to the least verbose.</summary>
public enum NodeLogLevel
{
    /// <summary>Everything, with the details of negotiations and console requests.</summary>
    Debug,

    /// <summary>Lifecycle events (node up, members, links) and above.</summary>
    Info,

    /// <summary>Problems the node works around, and errors.</summary>
    Warning,

    /// <summary>Only failures.</summary>
    Error,
}

/// <summary>Replies to <see cref="TailLog"/>.</summary>
public interface ITailLogReply : ICommandReply;

/// <summary>Replies to <see cref="GetLogLevel"/>.</summary>
public interface IGetLogLevelReply : ICommandReply;

/// <summary>Replies to <see cref="SetLogLevel"/>.</summary>
public interface ISetLogLevelReply : ICommandReply;

/// <summary>
/// <c>log tail</c>: the last <paramref name="Lines"/> lines the node logged at
/// <paramref name="Level"/> or above (from its in-memory ring of recent lines), then its lines as they
/// are logged, for <paramref name="Seconds"/> or until the request is cancelled.
/// </summary>
/// <param name="Level">The least severe level shown.</param>
/// <param name="Lines">How many recent lines first (0 = only new ones).</param>
/// <param name="Seconds">How long to follow; null = until cancelled.</param>
public sealed record TailLog(NodeLogLevel Level, int Lines, double? Seconds) : IStreamRequest<LogLine, ITailLogReply>
{
    /// <summary>The most recent lines a tail can ask for.</summary>
    public const int MaxLines = 10_000;
}

/// <summary>One line of the node's log.</summary>
/// <param name="Time">When it was logged.</param>
/// <param name="Level">Its level.</param>
/// <param name="Source">The actor or component that logged it.</param>
/// <param name="Message">The message, with the exception's type and message when there is one.</param>
public sealed record LogLine(DateTimeOffset Time, NodeLogLevel Level, string Source, string Message) : ICommandItem;

/// <summary>The tail is over (its time was up): how many lines it showed.</summary>
public sealed record LogTailEnded(int Lines) : ITailLogReply;

/// <summary><c>log level</c>: the level the node logs at.</summary>
public sealed record GetLogLevel : IRequest<IGetLogLevelReply>
{
    /// <summary>The single instance.</summary>
    public static GetLogLevel Instance { get; } = new();
}

/// <summary>The node's log level.</summary>
public sealed record LogLevelIs(string Node, NodeLogLevel Level) : IGetLogLevelReply;

/// <summary><c>log level --set L</c>: log at <paramref name="Level"/> from now on (until the node restarts).</summary>
public sealed record SetLogLevel(NodeLogLevel Level) : IRequest<ISetLogLevelReply>;

/// <summary>The node logs at <paramref name="Level"/> now, instead of <paramref name="Previous"/>.</summary>
public sealed record LogLevelSet(string Node, NodeLogLevel Previous, NodeLogLevel Level) : ISetLogLevelReply;
