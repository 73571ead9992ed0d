using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>
/// The requests this node answers by itself: its membership view (<c>cluster</c>), its actor system
/// (<c>actor</c>) and its host (<c>host</c>).
/// </summary>
internal sealed class NodeRequests(CommandContext context)
{
    private Cluster Cluster => Cluster.Get(context.System);

    // ------------------------------------------------------------------ host

    public async Task<ICommandReply> HostInfoAsync() =>
        new HostDescribed(await context.AskAsync(context.Host, Hosts.HostActor.GetInfo.Instance, "host") as HostInfo
            ?? throw new CommandException("unexpected answer from the host actor"));

    public async Task<ICommandReply> HostLinksAsync()
    {
        var table = await context.AskAsync(context.Host, LinkProtocol.GetTable.Instance, "host") as LinkProtocol.Table
            ?? throw new CommandException("unexpected answer from the host actor");
        return Links(table);
    }

    /// <summary>A host's table as the console shows it: a link's key stays on its hosts.</summary>
    public static HostLinks Links(LinkProtocol.Table table) =>
        new(table.Host, [.. table.Rows.Select(r => new HostLink(r.Link with { Key = ImmutableArray<byte>.Empty }, r.Status, r.Detail, r.VmMtu, r.ToSubstrate, r.ToVm))]);

    // ------------------------------------------------------------------ cluster

    public async Task<ICommandReply> MembersAsync()
    {
        var hosts = await HostNames();
        var state = Cluster.State;
        var oldest = Oldest(state);
        return new MemberList(context.NodeName, [.. state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new MemberEntry(
            m.Address.ToString(),
            hosts.GetValueOrDefault(m.Address.ToString()),
            m.Status.ToString().ToLowerInvariant(),
            !state.Unreachable.Contains(m),
            m.Address.Equals(state.Leader),
            oldest is not null && m.Equals(oldest),
            [.. m.Roles]))]);
    }

    private static Member? Oldest(ClusterEvent.CurrentClusterState state) =>
        state.Members.Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();

    /// <summary>Host names by node address, from the topology manager; none when it does not answer soon (the members are shown anyway).</summary>
    private async Task<Dictionary<string, string>> HostNames()
    {
        try
        {
            var reply = await context.Topology.Ask<object>(new GetHosts(), TimeSpan.FromSeconds(5));
            return reply is HostList list
                ? list.Hosts.Where(h => h.Info.NodeAddress is not null).GroupBy(h => h.Info.NodeAddress!).ToDictionary(g => g.Key, g => g.First().Info.Name)
                : new();
        }
        catch (AskTimeoutException)
        {
            return new();
        }
    }

    public ICommandReply ClusterStatus()
    {
        var self = Cluster.SelfMember;
        return new ClusterStatus(context.NodeName, self.Address.ToString(), self.Status.ToString().ToLowerInvariant());
    }

    public ICommandReply Leader()
    {
        var state = Cluster.State;
        return new LeaderInfo(state.Leader?.ToString(), Oldest(state)?.Address.ToString());
    }

    public ICommandReply Leave(LeaveCluster leave)
    {
        var cluster = Cluster;
        Address address;
        if (leave.Address is null) address = cluster.SelfAddress;
        else if (cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == leave.Address) is { } member) address = member.Address;
        else return new ClusterRejected([$"no member with address '{leave.Address}' (see `vnet cluster show`)"]);
        cluster.Leave(address);
        return new LeavingCluster(address.ToString());
    }

    public ICommandReply DownUnreachable()
    {
        var cluster = Cluster;
        var unreachable = cluster.State.Unreachable.ToList();
        foreach (var m in unreachable) cluster.Down(m.Address);
        return new UnreachableDowned([.. unreachable.Select(m => m.Address.ToString())]);
    }

    public async Task<ICommandReply> TailAsync(TailCluster tail, Func<ICommandItem, Task> emit, CancellationToken cancel)
    {
        if (tail.Seconds is < 1 or > 3600) throw new CommandException($"cluster tail: {tail.Seconds} s is out of range 1-3600", ExitCodes.Usage);
        var cluster = Cluster;
        var events = Channel.CreateUnbounded<ClusterEvent.IMemberEvent>();
        var listener = context.System.ActorOf(Props.Create(() => new EventForwarder(events.Writer)));
        cluster.Subscribe(listener, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        var count = 0;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(tail.Seconds));
            try
            {
                await foreach (var e in events.Reader.ReadAllAsync(timeout.Token))
                {
                    count++;
                    await emit(new MemberEvent(DateTime.UtcNow, e.GetType().Name.Replace("Member", "").ToLowerInvariant(), e.Member.Address.ToString(), e.Member.Status.ToString().ToLowerInvariant()));
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
            }
        }
        finally
        {
            cluster.Unsubscribe(listener);
            context.System.Stop(listener);
        }
        return new TailEnded(count);
    }

    private sealed class EventForwarder : ReceiveActor
    {
        public EventForwarder(ChannelWriter<ClusterEvent.IMemberEvent> writer) => Receive<ClusterEvent.IMemberEvent>(e => writer.TryWrite(e));
    }

    // ------------------------------------------------------------------ actor system

    public ICommandReply ActorSystem()
    {
        var system = (ExtendedActorSystem)context.System;
        using var process = Process.GetCurrentProcess();
        return new ActorSystemInfo(system.Name, system.Provider.DefaultAddress.ToString(), context.NodeName, DateTime.Now - process.StartTime,
            typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version?.ToString(), Environment.Version.ToString(), Environment.ProcessId,
            process.Threads.Count, process.WorkingSet64 / (1024 * 1024), GC.GetTotalMemory(false) / (1024 * 1024));
    }

    /// <summary>Identifies the actors under /user level by level (wildcard selections; replies for 300 ms per level).</summary>
    public async Task<ICommandReply> HierarchyAsync(GetActorHierarchy request, CancellationToken cancel)
    {
        if (request.Depth is < 1 or > 8) throw new CommandException($"actor hierarchy: depth {request.Depth} is out of range 1-8", ExitCodes.Usage);
        var maxDepth = request.Depth;
        var found = new List<ActorNode>();
        var level = new List<string> { "/user" };
        for (var depth = 1; depth <= maxDepth && level.Count > 0; depth++)
        {
            var replies = Channel.CreateUnbounded<ActorIdentity>();
            var collector = context.System.ActorOf(Props.Create(() => new IdentityCollector(replies.Writer)));
            foreach (var parent in level) context.System.ActorSelection(parent + "/*").Tell(new Identify(depth), collector);
            await Task.Delay(300, cancel);
            context.System.Stop(collector);
            replies.Writer.TryComplete();
            var next = new List<string>();
            await foreach (var id in replies.Reader.ReadAllAsync(cancel))
            {
                if (id.Subject is null) continue;
                var path = id.Subject.Path.ToStringWithoutAddress();
                if (path.Split('/').Last().StartsWith('$')) continue; // temporary actors (asks, this walk)
                next.Add(path);
            }
            found.AddRange(next.Select(p => new ActorNode(p, depth)));
            level = next;
        }
        // Depth-first order (segment by segment) reads as a tree.
        return new ActorHierarchy(context.NodeName, [.. found.OrderBy(n => string.Join('\u0001', n.Path.Split('/')), StringComparer.Ordinal)]);
    }

    private sealed class IdentityCollector : ReceiveActor
    {
        public IdentityCollector(ChannelWriter<ActorIdentity> writer) => Receive<ActorIdentity>(i => writer.TryWrite(i));
    }
}
