using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using VNet.Messages;

namespace VNet.Actors.Topology;

/// <summary>
/// The TopologyManager's replicated state (the intent outlives any node), kept with
/// Akka.DistributedData in two last-writer-wins maps that every node holds: the desired links (by
/// id) and the host registry (by name). Links are written to a majority before the write counts
/// as done (a timeout still leaves the local copy, which gossip spreads); hosts are written locally
/// and gossiped. A new manager reads from a majority, falling back to its local replica. The values
/// (<see cref="DesiredLink"/>, <see cref="KnownHost"/>) are <see cref="IReplicatedValue"/>s, bound
/// to Hyperion with VNet's messages and admitted by its allow-list.
/// </summary>
public sealed class TopologyReplica(IActorRef replicator, Cluster cluster, TimeSpan timeout)
{
    /// <summary>The desired links, by id.</summary>
    public static readonly LWWDictionaryKey<string, DesiredLink> LinksKey = new("vnet-links");

    /// <summary>The host registry, by host name.</summary>
    public static readonly LWWDictionaryKey<string, KnownHost> HostsKey = new("vnet-hosts");

    /// <summary>
    /// Starts this node's replicator. Every node must run one (not only the node of the singleton),
    /// or there is nothing to read back when the singleton moves.
    /// </summary>
    public static IActorRef StartReplicator(ActorSystem system) => DistributedData.Get(system).Replicator;

    /// <summary>Reads both maps from a majority; the answers (GetSuccess, NotFound, GetFailure) go to <paramref name="replyTo"/>.</summary>
    public void Load(IActorRef replyTo)
    {
        replicator.Tell(Dsl.Get(LinksKey, new ReadMajority(timeout)), replyTo);
        replicator.Tell(Dsl.Get(HostsKey, new ReadMajority(timeout)), replyTo);
    }

    /// <summary>Reads one map from this node's replica only.</summary>
    public void LoadLocal(IKey key, IActorRef replyTo)
    {
        if (key.Equals(LinksKey)) replicator.Tell(Dsl.Get(LinksKey, ReadLocal.Instance), replyTo);
        else replicator.Tell(Dsl.Get(HostsKey, ReadLocal.Instance), replyTo);
    }

    /// <summary>Writes (adds or replaces) a desired link.</summary>
    public void WriteLink(DesiredLink link) =>
        replicator.Tell(Dsl.Update(LinksKey, LWWDictionary<string, DesiredLink>.Empty, new WriteMajority(timeout), d => d.SetItem(cluster, link.Id, link)));

    /// <summary>
    /// Writes a desired link and completes once the write is done: stored on this node's disk and
    /// by a majority, or — on a timeout — at least kept locally, which gossip spreads. For answers
    /// that must not come before the change is durable.
    /// </summary>
    public Task WriteLinkAsync(DesiredLink link) =>
        replicator.Ask<IUpdateResponse>(Dsl.Update(LinksKey, LWWDictionary<string, DesiredLink>.Empty, new WriteMajority(timeout), d => d.SetItem(cluster, link.Id, link)), timeout + timeout)
            .ContinueWith(_ => { }, TaskContinuationOptions.ExecuteSynchronously);

    /// <summary>Removes a desired link.</summary>
    public void RemoveLink(string id) =>
        replicator.Tell(Dsl.Update(LinksKey, LWWDictionary<string, DesiredLink>.Empty, new WriteMajority(timeout), d => d.Remove(cluster, id)));

    /// <summary>Writes a host of the registry.</summary>
    public void WriteHost(KnownHost host) =>
        replicator.Tell(Dsl.Update(HostsKey, LWWDictionary<string, KnownHost>.Empty, WriteLocal.Instance, d => d.SetItem(cluster, host.Info.Name, host)));
}
