using System.Globalization;
using VNet.Actors.Logs;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>log</c> palette: this node's log lines and the level it logs at.</summary>
public sealed class LogPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("log", "this node's log", [
        CommandDefinition.Of("tail", "the node's recent log lines, then new ones as they are logged (until Ctrl-C)",
            new SwitchDefinition("level", "the least severe level shown: debug | info | warning | error", Default: "info"),
            new SwitchDefinition("lines", "how many recent lines first (0-10000)", Default: "20"),
            new SwitchDefinition("seconds", "stop following after this long (default: until Ctrl-C)")),
        CommandDefinition.Of("level", "the level the node logs at, or change it while the node runs",
            new SwitchDefinition("set", "the new level: debug | info | warning | error (until the node restarts)")),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "tail" => new TailLog(Level(r, "level") ?? NodeLogLevel.Info, r.Int("lines", 0, TailLog.MaxLines) ?? 20, r.Double("seconds", 0.1, CaptureLink.MaxSeconds)),
        "level" => Level(r, "set") is { } level ? new SetLogLevel(level) : GetLogLevel.Instance,
        _ => throw new CommandException($"unknown command 'log {r.Command}'", ExitCodes.Usage),
    };

    private static NodeLogLevel? Level(CommandRequest r, string name) => r.Optional(name) is not { } text ? null
        : NodeLog.ParseLevel(text) ?? throw new CommandException($"log {r.Command}: --{name} '{text}' is not a level (debug, info, warning, error)", ExitCodes.Usage);

    /// <inheritdoc/>
    protected override Task RenderItemAsync(CommandRequest r, ICommandItem item, int index, ICommandSink sink) =>
        item is LogLine line ? sink.EmitAsync(new ConsoleLine.Text(Format(line))) : Task.CompletedTask;

    /// <summary>A log line as <c>log tail</c> prints it: UTC time, level, source, message.</summary>
    public static string Format(LogLine line) =>
        $"{line.Time.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {LogRequests.Name(line.Level).ToUpperInvariant(),-7} [{line.Source}] {line.Message}";

    /// <inheritdoc/>
    protected override Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink) => reply switch
    {
        LogTailEnded ended => sink.EmitAsync(new ConsoleLine.Text($"{ended.Lines} line(s)")),
        LogLevelIs level => sink.EmitAsync(new ConsoleLine.Text($"{level.Node} logs at {LogRequests.Name(level.Level)}")),
        LogLevelSet set => sink.EmitAsync(new ConsoleLine.Text($"{set.Node} logs at {LogRequests.Name(set.Level)} now (was {LogRequests.Name(set.Previous)})")),
        _ => Task.CompletedTask,
    };
}
