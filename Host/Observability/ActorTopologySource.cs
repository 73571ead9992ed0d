using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using VNet.Actors.Commands;
using VNet.Messages;

namespace VNet.Host.Observability;

/// <summary>
/// <see cref="ITopologySource"/> over this node's actors, asked the way the <c>link show</c> and
/// <c>link stats</c> palettes ask them: the HostActor for its table, the topology manager (through
/// its proxy) for hosts and links, every host for its table, the DiscoveryActor for its counters.
/// </summary>
public sealed class ActorTopologySource(CommandContext context, IActorRef? discovery, TimeSpan timeout) : ITopologySource
{
    private readonly CommandContext _context = context with { AskTimeout = timeout };

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
    public async Task<ImmutableArray<TopologyProtocol.LinkEntry>?> DesiredLinksAsync(CancellationToken cancel)
    {
        try
        {
            return await _context.LinksAsync();
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
        ImmutableArray<TopologyProtocol.HostEntry> hosts;
        ImmutableArray<TopologyProtocol.LinkEntry> links;
        try
        {
            hosts = await _context.HostsAsync();
            links = await _context.LinksAsync();
        }
        catch (CommandException e)
        {
            return new TopologyView(_context.NodeName, now, [], [], e.Message);
        }
        var tables = await _context.HostTablesAsync(hosts);
        return TopologyViews.Build(_context.NodeName, now, hosts, links, tables);
    }
}

/// <summary>Builds the page's picture from the topology manager's lists and the hosts' tables (pure).</summary>
public static class TopologyViews
{
    /// <summary>Joins hosts, links and every host's table into one view.</summary>
    public static TopologyView Build(string node, long timeUnixMs, IEnumerable<TopologyProtocol.HostEntry> hosts,
        IEnumerable<TopologyProtocol.LinkEntry> links, IEnumerable<LinkProtocol.Table> tables)
    {
        var rows = tables.SelectMany(t => t.Rows.Select(r => (t.Host, Row: r))).ToLookup(x => (x.Row.Link.Id, x.Host), x => x.Row);
        var hostViews = hosts.OrderBy(h => h.Info.Name, StringComparer.Ordinal).Select(h => new HostView(h.Info.Name, h.Info.SubstrateAddress, h.Up,
            [.. h.Info.Vms.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => new VmView(v.Name, v.State, [.. v.Nics.Select(n => n.Mac.ToString())]))])).ToImmutableArray();
        var linkViews = links.OrderBy(l => l.Link.Id, StringComparer.Ordinal).Select(l =>
        {
            var o = l.Link.Options;
            var options = new LinkOptionsView(o.Compression.ToString().ToLowerInvariant(), o.Dscp, o.BandwidthBitsPerSecond, o.DelayMs, o.JitterMs, o.LossPercent, o.Authenticate, o.Encrypt, o.FilterSource);
            var ends = l.Link.Endpoints.Select(e =>
            {
                var row = rows[(l.Link.Id, e.Host)].FirstOrDefault();
                return new EndView(e.Host, e.Vm, e.Mac.ToString(), row is null ? null : LinkMetrics.StateName(row.Status),
                    row is null ? null : DirectionView.Of(row.ToSubstrate), row is null ? null : DirectionView.Of(row.ToVm));
            }).ToImmutableArray();
            return new LinkView(l.Link.Id, l.Link.Kind.Name(), LinkMetrics.StateName(l.Status), l.Detail, l.Link.Protocol, options, ends);
        }).ToImmutableArray();
        return new TopologyView(node, timeUnixMs, hostViews, linkViews, null);
    }
}
