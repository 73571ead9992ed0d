using System.Collections.Immutable;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>actor</c> palette: the node's actor system and its actor tree (Petabridge.Cmd's actor palette).</summary>
public sealed class ActorPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("actor", "the node's actor system", [
        CommandDefinition.Of("system", "name, address, uptime, versions and process figures"),
        CommandDefinition.Of("hierarchy", "the actors under /user, as a tree", new SwitchDefinition("depth", "how deep to walk (default 4)")),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "system" => GetActorSystem.Instance,
        "hierarchy" => new GetActorHierarchy(r.Int("depth", 1, 8) ?? 4),
        _ => throw new CommandException($"unknown command 'actor {r.Command}'", ExitCodes.Usage),
    };

    /// <inheritdoc/>
    protected override Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink) => reply switch
    {
        ActorSystemInfo s => sink.EmitAsync(new ConsoleLine.Table(null, ["property", "value"], [
            ["name", s.Name], ["address", s.Address], ["node", s.Node], ["uptime", s.Uptime.ToString(@"d\.hh\:mm\:ss")],
            ["akka", s.Akka ?? ""], ["dotnet", s.Dotnet], ["pid", $"{s.Pid}"], ["threads", $"{s.Threads}"], ["rss-mib", $"{s.RssMiB}"], ["gc-heap-mib", $"{s.GcHeapMiB}"]])),
        ActorHierarchy h => sink.EmitAsync(new ConsoleLine.Table($"{h.Actors.Length} actor(s) under /user on {h.Node}", ["actor"],
            [.. h.Actors.Select(n => ImmutableArray.Create(new string(' ', 2 * (n.Depth - 1)) + n.Path.Split('/').Last()))])),
        _ => Task.CompletedTask,
    };
}
