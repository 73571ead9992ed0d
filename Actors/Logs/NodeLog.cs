using Akka.Actor;
using Akka.Event;
using VNet.Messages.Commands;

namespace VNet.Actors.Logs;

/// <summary>
/// The node's log as the <c>log</c> palette sees it: the level it logs at, which can change while it
/// runs, and the ring of its recent lines. The actor system itself publishes every level (its
/// <c>akka.loglevel</c> is DEBUG, so no logging adapter drops a line before it is seen), and
/// <see cref="NodeLogger"/> writes and keeps only the lines at <see cref="Level"/> or above.
/// </summary>
public sealed class NodeLog : IExtension
{
    /// <summary>The configuration key of the level the node starts at (DEBUG, INFO, WARNING or ERROR).</summary>
    public const string LevelKey = "vnet.log.level";

    /// <summary>The configuration key of how many recent lines the ring keeps.</summary>
    public const string RingLinesKey = "vnet.log.ring-lines";

    private volatile int _level;

    /// <summary>The node's log from its configuration.</summary>
    public NodeLog(NodeLogLevel level, int ringLines)
    {
        _level = (int)level;
        Ring = new LogRing(ringLines);
    }

    /// <summary>The least severe level written and kept.</summary>
    public NodeLogLevel Level
    {
        get => (NodeLogLevel)_level;
        set => _level = (int)value;
    }

    /// <summary>The recent lines.</summary>
    public LogRing Ring { get; }

    /// <summary>The node's log of <paramref name="system"/>.</summary>
    public static NodeLog Get(ActorSystem system) => system.WithExtension<NodeLog, NodeLogProvider>();

    /// <summary>Parses a level as an operator writes it (debug, INFO, warning, error); null when it is none.</summary>
    public static NodeLogLevel? ParseLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "debug" => NodeLogLevel.Debug,
        "info" => NodeLogLevel.Info,
        "warning" or "warn" => NodeLogLevel.Warning,
        "error" => NodeLogLevel.Error,
        _ => null,
    };

    /// <summary>The level of an Akka log event.</summary>
    public static NodeLogLevel Of(LogLevel level) => level switch
    {
        LogLevel.DebugLevel => NodeLogLevel.Debug,
        LogLevel.InfoLevel => NodeLogLevel.Info,
        LogLevel.WarningLevel => NodeLogLevel.Warning,
        _ => NodeLogLevel.Error,
    };

    private sealed class NodeLogProvider : ExtensionIdProvider<NodeLog>
    {
        public override NodeLog CreateExtension(ExtendedActorSystem system)
        {
            var config = system.Settings.Config;
            var text = config.GetString(LevelKey, null) ?? config.GetString("akka.loglevel");
            var level = ParseLevel(text) ?? throw new Akka.Configuration.ConfigurationException($"{LevelKey} = '{text}' is not a log level (DEBUG, INFO, WARNING or ERROR)");
            var lines = config.GetInt(RingLinesKey, 0);
            if (lines is < 1 or > TailLog.MaxLines) throw new Akka.Configuration.ConfigurationException($"{RingLinesKey} = {lines} is out of range 1-{TailLog.MaxLines}");
            return new NodeLog(level, lines);
        }
    }
}

/// <summary>
/// The node's logger (<c>akka.loggers</c>): Akka's default logger (one line per event on standard
/// output, which is the lab log or the journal), but only for events at the node's current
/// <see cref="NodeLog.Level"/> or above, each of them also kept in the ring for <c>log tail</c>.
/// </summary>
public sealed class NodeLogger : DefaultLogger
{
    private readonly NodeLog _log = NodeLog.Get(Context.System);

    /// <inheritdoc/>
    protected override void Print(LogEvent logEvent)
    {
        var level = NodeLog.Of(logEvent.LogLevel());
        if (level < _log.Level) return;
        base.Print(logEvent);
        var message = logEvent.Message?.ToString() ?? "";
        var time = new DateTimeOffset(DateTime.SpecifyKind(logEvent.Timestamp, DateTimeKind.Utc));
        if (logEvent.Cause is { } cause) message += $" ({cause.GetType().Name}: {cause.Message})";
        _log.Ring.Add(new Messages.Commands.LogLine(time, level, logEvent.LogSource ?? "", message));
    }
}
