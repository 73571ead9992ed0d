using System.Collections.Immutable;
using Akka.Actor;
using VNet.Messages;

namespace VNet.Actors.Commands;

/// <summary>Questions palettes ask the topology manager and the hosts.</summary>
public static class ClusterQueries
{
    /// <summary>The hosts the topology manager knows.</summary>
    public static async Task<ImmutableArray<TopologyProtocol.HostEntry>> HostsAsync(this CommandContext ctx) =>
        await ctx.AskAsync(ctx.Topology, TopologyProtocol.GetHosts.Instance, "topology manager") switch
        {
            TopologyProtocol.HostList list => list.Hosts,
            var other => throw new CommandException($"unexpected answer from the topology manager: {other}"),
        };

    /// <summary>The desired links and their state.</summary>
    public static async Task<ImmutableArray<TopologyProtocol.LinkEntry>> LinksAsync(this CommandContext ctx) =>
        await ctx.AskAsync(ctx.Topology, TopologyProtocol.GetLinks.Instance, "topology manager") switch
        {
            TopologyProtocol.LinkList list => list.Links,
            var other => throw new CommandException($"unexpected answer from the topology manager: {other}"),
        };

    /// <summary>The HostActor of a host, by its node address.</summary>
    public static ActorSelection HostActor(this CommandContext ctx, HostInfo host) =>
        ctx.System.ActorSelection($"{host.NodeAddress}/user/host");

    /// <summary>The link tables of every host that is up (hosts that do not answer in time are left out).</summary>
    public static async Task<ImmutableArray<LinkProtocol.Table>> HostTablesAsync(this CommandContext ctx, IEnumerable<TopologyProtocol.HostEntry> hosts)
    {
        var asks = hosts.Where(h => h.Up && h.Info.NodeAddress is not null).Select(async h =>
        {
            try
            {
                return await ctx.HostActor(h.Info).Ask<LinkProtocol.Table>(LinkProtocol.GetTable.Instance, TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is AskTimeoutException or ActorNotFoundException)
            {
                return null;
            }
        });
        return [.. (await Task.WhenAll(asks)).Where(t => t is not null).Select(t => t!)];
    }
}
