using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using VNet.Client;
using VNet.Actors.Commands;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Host.Observability;

/// <summary>
/// <see cref="ITopologySource"/> over this node: the HostActor for its own table (the metrics of the
/// ends on this host), the discovery counters, the cluster state, and the typed console requests
/// (<see cref="CommandDispatcher"/>) for the topology manager's hosts and links and every host's
/// counters — the same answers `hosts`, `link show` and `link stats` give.
/// </summary>
public sealed class ActorTopologySource(CommandContext context, IActorRef? discovery, TimeSpan timeout) : ITopologySource
{
    private readonly CommandContext _context = context with { AskTimeout = timeout };
    private readonly CommandDispatcher _commands = new(context with { AskTimeout = timeout }, discovery);

    /// <inheritdoc/>
    public async Task<LinkProtocol.Table?> LocalLinksAsync(CancellationToken cancel)
    {
        try
        {
            return await _context.Host.Ask<LinkProtocol.Table>(LinkProtocol.GetTable.Instance, timeout, cancel);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<ImmutableArray<LinkState>?> DesiredLinksAsync(CancellationToken cancel)
    {
        try
        {
            return await _commands.AskAsync(new GetLinks(), cancel) is LinkList list ? list.Links : null;
        }
        catch (CommandException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<DiscoveryProtocol.Stats?> DiscoveryAsync(CancellationToken cancel)
    {
        if (discovery is null) return null;
        try
        {
            return await discovery.Ask<DiscoveryProtocol.Stats>(DiscoveryProtocol.GetStats.Instance, timeout, cancel);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<ClusterReading> ClusterAsync(CancellationToken cancel)
    {
        var state = Cluster.Get(_context.System).State;
        var byStatus = Enum.GetValues<MemberStatus>().ToImmutableDictionary(StatusName, s => state.Members.Count(m => m.Status == s));
        bool holds;
        try
        {
            // The singleton manager's child exists only on the node that runs the topology manager.
            await _context.System.ActorSelection("/user/topology/singleton").ResolveOne(timeout, cancel);
            holds = true;
        }
        catch (Exception e) when (e is ActorNotFoundException or TaskCanceledException)
        {
            holds = false;
        }
        return new ClusterReading(byStatus, state.Unreachable.Count, holds);
    }

    /// <summary>The label value of a member status: <c>up</c>, <c>weakly_up</c>, ….</summary>
    public static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly_up",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <inheritdoc/>
    public async Task<TopologyView> TopologyAsync(CancellationToken cancel)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            var hosts = await _commands.AskAsync(new GetHosts(), cancel);
            var links = await _commands.AskAsync(new GetLinks(), cancel);
            var stats = await _commands.AskAsync(new GetLinkStats(), cancel);
            return TopologyViews.Build(_context.NodeName, now,
                hosts is HostList h ? h.Hosts : [], links is LinkList l ? l.Links : [], stats is LinkStats s ? s.Directions : []);
        }
        catch (CommandException e)
        {
            return new TopologyView(_context.NodeName, now, [], [], e.Message);
        }
    }
}

/// <summary>Builds the page's picture from the topology manager's hosts and links and the hosts' counters (pure).</summary>
public static class TopologyViews
{
    /// <summary>Joins hosts, links (with both ends' reports) and every host's counters into one view.</summary>
    public static TopologyView Build(string node, long timeUnixMs, IEnumerable<HostEntry> hosts, IEnumerable<LinkState> links, IEnumerable<LinkDirectionStats> stats)
    {
        var counters = stats.ToLookup(d => (d.Link, d.Host, d.Direction), d => d.Counters);
        var hostViews = hosts.OrderBy(h => h.Info.Name, StringComparer.Ordinal).Select(h => new HostView(h.Info.Name, h.Info.SubstrateAddress, h.Status == HostStatus.Up,
            [.. h.Info.Vms.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => new VmView(v.Name, v.State, [.. v.Nics.Select(n => n.Mac.ToString())]))])).ToImmutableArray();
        var linkViews = links.OrderBy(l => l.Link.Id, StringComparer.Ordinal).Select(l =>
        {
            var o = l.Link.Options;
            var options = new LinkOptionsView(o.Compression.ToString().ToLowerInvariant(), o.Dscp, o.BandwidthBitsPerSecond, o.DelayMs, o.JitterMs, o.LossPercent, o.Authenticate, o.Encrypt, o.FilterSource);
            var ends = l.Link.Endpoints.Select((e, i) =>
            {
                var reported = i < l.Ends.Length ? l.Ends[i] : null;
                var toNet = counters[(l.Link.Id, e.Host, "vm->net")].FirstOrDefault();
                var toVm = counters[(l.Link.Id, e.Host, "net->vm")].FirstOrDefault();
                return new EndView(e.Host, e.Vm, e.Mac.ToString(), reported is null ? null : LinkMetrics.StateName(reported.Status),
                    toNet is null ? null : DirectionView.Of(toNet), toVm is null ? null : DirectionView.Of(toVm));
            }).ToImmutableArray();
            return new LinkView(l.Link.Id, l.Link.Kind.Name(), LinkMetrics.PhaseName(l.Phase), l.Detail, l.Link.Protocol, options, ends);
        }).ToImmutableArray();
        return new TopologyView(node, timeUnixMs, hostViews, linkViews, null);
    }
}
