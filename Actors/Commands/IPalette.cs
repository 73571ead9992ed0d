using System.Globalization;
using Akka.Actor;
using VNet.Client;

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

    /// <summary>How long the topology manager takes at most to move to another node (detection, the resolver's stable-after, start).</summary>
    public TimeSpan HandOver { get; init; } = HandOverOf(System);

    /// <summary>
    /// Asks <paramref name="target"/> and turns a timeout into a message the user understands. A
    /// request for the topology manager is answered at once with a "retry" error when the manager
    /// cannot answer (<see cref="TopologyReach"/>), also when that happens while it is pending.
    /// </summary>
    public async Task<object> AskAsync(IActorRef target, object message, string what, TimeSpan? timeout = null)
    {
        var gated = target.Equals(Topology) && System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal);
        if (gated && ReachProblem() is { } before) throw new CommandException($"{what}: {before}", ExitCodes.Retry);
        var ask = target.Ask<object>(message, timeout ?? AskTimeout);
        try
        {
            if (!gated) return await ask;
            while (true)
            {
                var done = await Task.WhenAny(ask, Task.Delay(TimeSpan.FromMilliseconds(250)));
                if (done == ask) return await ask;
                if (ReachProblem() is { } during)
                    throw new CommandException($"{what}: no answer yet, and now {during} (the request may or may not have been carried out; `link show` tells)", ExitCodes.Retry);
            }
        }
        catch (AskTimeoutException)
        {
            throw new CommandException($"{what}: no answer within {(timeout ?? AskTimeout).TotalSeconds:0} s");
        }
    }

    private string? ReachProblem()
    {
        var cluster = Akka.Cluster.Cluster.Get(System);
        return TopologyReach.Problem(ClusterView.Of(cluster), HandOver, HostPart);
    }

    /// <summary>The host part of a node address (<c>akka.ssl.tcp://vnet@10.0.0.2:4053</c> → <c>10.0.0.2</c>), for messages.</summary>
    private static string HostPart(string address) =>
        Akka.Actor.Address.TryParse(address, out var a) && a.Host is { } h ? h : address;

    private static TimeSpan HandOverOf(ActorSystem system)
    {
        var config = system.Settings.Config;
        var pause = config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause", TimeSpan.FromSeconds(4));
        var stable = config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(7));
        return pause + stable + TimeSpan.FromSeconds(4);
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
