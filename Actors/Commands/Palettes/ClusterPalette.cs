using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using VNet.Messages;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>cluster</c> palette: membership as this node sees it.</summary>
public sealed class ClusterPalette(CommandContext context) : IPalette
{
    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("cluster", "cluster membership", [
        CommandDefinition.Of("show", "members with their host, status and reachability"),
        CommandDefinition.Of("status", "this node's own status"),
        CommandDefinition.Of("leader", "the current leader and the oldest node (where the topology manager runs)"),
        CommandDefinition.Of("leave", "make a node leave the cluster gracefully", new SwitchDefinition("address", "member address (akka.ssl.tcp://vnet@ip:port; akka.tcp:// when vnet.trust.mode = off); default: this node")),
        CommandDefinition.Of("down-unreachable", "down every member marked unreachable"),
        CommandDefinition.Of("tail", "stream membership events", new SwitchDefinition("seconds", "how long to stream (default 10)")),
    ]);

    /// <summary>One member as shown.</summary>
    public sealed record MemberView(string Address, string? Host, string Status, bool Reachable, bool Leader, bool Oldest, ImmutableArray<string> Roles);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var cluster = Cluster.Get(context.System);
        switch (r.Command)
        {
            case "show":
            {
                var members = await Members(cluster);
                await sink.ResultAsync(r, $"cluster of {members.Count} member(s), seen from {context.NodeName}",
                    ["member", "host", "status", "reachable", "leader", "oldest"],
                    members.Select(m => new[] { m.Address, m.Host ?? "?", m.Status, m.Reachable ? "yes" : "NO", m.Leader ? "*" : "", m.Oldest ? "*" : "" }),
                    members);
                break;
            }
            case "status":
            {
                var self = cluster.SelfMember;
                await sink.MessageAsync(r, $"{context.NodeName} {self.Address} is {self.Status.ToString().ToLowerInvariant()}",
                    new { node = context.NodeName, address = self.Address.ToString(), status = self.Status.ToString().ToLowerInvariant() });
                break;
            }
            case "leader":
            {
                var state = cluster.State;
                var oldest = state.Members.Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
                await sink.MessageAsync(r, $"leader {state.Leader?.ToString() ?? "none"}; oldest (topology manager) {oldest?.Address.ToString() ?? "none"}",
                    new { leader = state.Leader?.ToString(), oldest = oldest?.Address.ToString() });
                break;
            }
            case "leave":
            {
                var text = r.Optional("address");
                var address = text is null ? cluster.SelfAddress : ParseAddress(text, cluster);
                cluster.Leave(address);
                await sink.MessageAsync(r, $"{address} is leaving the cluster", new { leaving = address.ToString() });
                break;
            }
            case "down-unreachable":
            {
                var unreachable = cluster.State.Unreachable.ToList();
                foreach (var m in unreachable) cluster.Down(m.Address);
                await sink.MessageAsync(r, unreachable.Count == 0 ? "no unreachable member" : $"downed {string.Join(", ", unreachable.Select(m => m.Address))}",
                    new { downed = unreachable.Select(m => m.Address.ToString()).ToArray() });
                break;
            }
            case "tail":
            {
                var seconds = r.Int("seconds", 1, 3600) ?? 10;
                await Tail(cluster, r, sink, TimeSpan.FromSeconds(seconds), cancel);
                break;
            }
        }
    }

    private static Address ParseAddress(string text, Cluster cluster)
    {
        var member = cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == text);
        return member?.Address ?? throw new CommandException($"no member with address '{text}' (see `vnet cluster show`)");
    }

    /// <summary>Members joined with the host names the topology manager knows.</summary>
    public async Task<List<MemberView>> Members(Cluster cluster)
    {
        var hosts = await HostNames();
        var state = cluster.State;
        var oldest = state.Members.Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
        return state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new MemberView(
            m.Address.ToString(),
            hosts.GetValueOrDefault(m.Address.ToString()),
            m.Status.ToString().ToLowerInvariant(),
            !state.Unreachable.Contains(m),
            m.Address.Equals(state.Leader),
            oldest is not null && m.Equals(oldest),
            [.. m.Roles])).ToList();
    }

    private async Task<Dictionary<string, string>> HostNames()
    {
        try
        {
            var reply = await context.Topology.Ask<object>(TopologyProtocol.GetHosts.Instance, TimeSpan.FromSeconds(5));
            return reply is TopologyProtocol.HostList list
                ? list.Hosts.Where(h => h.Info.NodeAddress is not null).GroupBy(h => h.Info.NodeAddress!).ToDictionary(g => g.Key, g => g.First().Info.Name)
                : new();
        }
        catch (AskTimeoutException)
        {
            return new();
        }
    }

    private static async Task Tail(Cluster cluster, CommandRequest r, ICommandSink sink, TimeSpan duration, CancellationToken cancel)
    {
        var events = System.Threading.Channels.Channel.CreateUnbounded<ClusterEvent.IMemberEvent>();
        var system = ((ActorSystem)cluster.System);
        var listener = system.ActorOf(Props.Create(() => new EventForwarder(events.Writer)));
        cluster.Subscribe(listener, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(duration);
            try
            {
                await foreach (var e in events.Reader.ReadAllAsync(timeout.Token))
                    await sink.MessageAsync(r, $"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name.Replace("Member", "")} {e.Member.Address} ({e.Member.Status.ToString().ToLowerInvariant()})",
                        new { time = DateTime.UtcNow, @event = e.GetType().Name, member = e.Member.Address.ToString(), status = e.Member.Status.ToString().ToLowerInvariant() });
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            cluster.Unsubscribe(listener);
            system.Stop(listener);
        }
    }

    private sealed class EventForwarder : ReceiveActor
    {
        public EventForwarder(System.Threading.Channels.ChannelWriter<ClusterEvent.IMemberEvent> writer) =>
            Receive<ClusterEvent.IMemberEvent>(e => writer.TryWrite(e));
    }
}
