using System.Collections.Immutable;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>cluster</c> palette: membership as this node sees it.</summary>
public sealed class ClusterPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("cluster", "cluster membership", [
        CommandDefinition.Of("show", "members with their host, status and reachability"),
        CommandDefinition.Of("status", "this node's own status"),
        CommandDefinition.Of("leader", "the current leader and the oldest node (where the topology manager runs)"),
        CommandDefinition.Of("leave", "make a node leave the cluster gracefully", new SwitchDefinition("address", "member address (akka.ssl.tcp://vnet@ip:port; akka.tcp:// when vnet.trust.mode = off); default: this node")),
        CommandDefinition.Of("down-unreachable", "down every member marked unreachable"),
        CommandDefinition.Of("tail", "stream membership events", new SwitchDefinition("seconds", "how long to stream (default 10)")),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "show" => GetMembers.Instance,
        "status" => GetClusterStatus.Instance,
        "leader" => GetLeader.Instance,
        "leave" => new LeaveCluster(r.Optional("address")),
        "down-unreachable" => DownUnreachable.Instance,
        "tail" => new TailCluster(r.Int("seconds", 1, 3600) ?? 10),
        _ => throw new CommandException($"unknown command 'cluster {r.Command}'", ExitCodes.Usage),
    };

    /// <inheritdoc/>
    protected override Task RenderItemAsync(CommandRequest r, ICommandItem item, int index, ICommandSink sink) =>
        item is MemberEvent e
            ? sink.EmitAsync(new ConsoleLine.Text($"{e.Time:HH:mm:ss.fff} {char.ToUpperInvariant(e.Event[0])}{e.Event[1..]} {e.Member} ({e.Status})"))
            : Task.CompletedTask;

    /// <inheritdoc/>
    protected override Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink) => reply switch
    {
        MemberList list => sink.EmitAsync(new ConsoleLine.Table($"cluster of {list.Members.Length} member(s), seen from {list.Node}",
            ["member", "host", "status", "reachable", "leader", "oldest"],
            [.. list.Members.Select(m => ImmutableArray.Create(m.Address, m.Host ?? "?", m.Status, m.Reachable ? "yes" : "NO", m.Leader ? "*" : "", m.Oldest ? "*" : ""))])),
        ClusterStatus s => sink.EmitAsync(new ConsoleLine.Text($"{s.Node} {s.Address} is {s.Status}")),
        LeaderInfo l => sink.EmitAsync(new ConsoleLine.Text($"leader {l.Leader ?? "none"}; oldest (topology manager) {l.Oldest ?? "none"}")),
        LeavingCluster leaving => sink.EmitAsync(new ConsoleLine.Text($"{leaving.Address} is leaving the cluster")),
        UnreachableDowned downed => sink.EmitAsync(new ConsoleLine.Text(downed.Downed.IsEmpty ? "no unreachable member" : $"downed {string.Join(", ", downed.Downed)}")),
        TailEnded ended => sink.EmitAsync(new ConsoleLine.Text($"{ended.Events} event(s)")),
        _ => Task.CompletedTask,
    };
}
