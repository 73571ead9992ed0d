using System.Globalization;
using Akka.Actor;

namespace VNet.Actors.Commands;

/// <summary>A console palette: its definition (downloaded by clients) and how it runs a command.</summary>
public interface IPalette
{
    /// <summary>The palette's commands and switches.</summary>
    PaletteDefinition Definition { get; }

    /// <summary>Runs <paramref name="request"/>, streaming output to <paramref name="sink"/>; throws <see cref="CommandException"/> on failure.</summary>
    Task ExecuteAsync(CommandRequest request, ICommandSink sink, CancellationToken cancel);
}

/// <summary>What palettes talk to on this node.</summary>
public sealed record CommandContext(ActorSystem System, IActorRef Host, IActorRef Topology, string NodeName)
{
    /// <summary>Timeout of one ask to an actor.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asks <paramref name="target"/> and turns a timeout into a message the user understands.</summary>
    public async Task<object> AskAsync(IActorRef target, object message, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await target.Ask<object>(message, timeout ?? AskTimeout);
        }
        catch (AskTimeoutException)
        {
            throw new CommandException($"{what}: no answer within {(timeout ?? AskTimeout).TotalSeconds:0} s");
        }
    }
}

/// <summary>Reading switch values with errors that name the switch.</summary>
public static class Args
{
    /// <summary>The value of a required switch.</summary>
    public static string Required(this CommandRequest r, string name) =>
        r.Args.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new CommandException($"{r.Palette} {r.Command}: --{name} is required", ExitCodes.Usage);

    /// <summary>The value of an optional switch, or null.</summary>
    public static string? Optional(this CommandRequest r, string name) => r.Args.TryGetValue(name, out var v) ? v : null;

    /// <summary>True when a flag is present.</summary>
    public static bool Flag(this CommandRequest r, string name) => r.Args.TryGetValue(name, out var v) && v != "false";

    /// <summary>An optional integer switch.</summary>
    public static int? Int(this CommandRequest r, string name, int min, int max)
    {
        var text = r.Optional(name);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new CommandException($"--{name} '{text}' is not a whole number in {min}-{max}", ExitCodes.Usage);
        return v;
    }

    /// <summary>An optional decimal switch.</summary>
    public static double? Double(this CommandRequest r, string name, double min, double max)
    {
        var text = r.Optional(name);
        if (text is null) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v >= min && v <= max))
            throw new CommandException($"--{name} '{text}' is not a number in {min}-{max}", ExitCodes.Usage);
        return v;
    }
}
