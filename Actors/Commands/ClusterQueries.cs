using System.Collections.Immutable;
using Akka.Actor;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>Reaching the hosts' own actors from a node's console.</summary>
public static class ClusterQueries
{
    /// <summary>The HostActor of a host, by its node address.</summary>
    public static ActorSelection HostActor(this CommandContext ctx, HostInfo host) =>
        ctx.System.ActorSelection($"{host.NodeAddress}/user/host");

    /// <summary>The link tables of every host that is up (hosts that do not answer in time are left out).</summary>
    public static async Task<ImmutableArray<LinkProtocol.Table>> HostTablesAsync(this CommandContext ctx, IEnumerable<HostEntry> hosts)
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
