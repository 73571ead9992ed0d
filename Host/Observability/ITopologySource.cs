using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Host.Observability;

/// <summary>
/// What the metrics and the topology page read of the cluster, at scrape or page-poll time. The one
/// place that asks the actors: a test substitutes readings, and a typed client can replace the asks.
/// Each read returns null (or leaves a part out) when its actor does not answer in time.
/// </summary>
public interface ITopologySource
{
    /// <summary>This host's link table with each end's counters (the HostActor's <c>link stats</c> rows).</summary>
    Task<LinkProtocol.Table?> LocalLinksAsync(CancellationToken cancel);

    /// <summary>The links the topology manager holds, with their state; null when it is out of reach.</summary>
    Task<ImmutableArray<TopologyProtocol.LinkEntry>?> DesiredLinksAsync(CancellationToken cancel);

    /// <summary>This node's discovery counters; null when discovery is off.</summary>
    Task<DiscoveryProtocol.Stats?> DiscoveryAsync(CancellationToken cancel);

    /// <summary>The cluster as this node sees it now.</summary>
    Task<ClusterReading> ClusterAsync(CancellationToken cancel);

    /// <summary>Hosts, VMs and links of the whole cluster, with every host's counters of its ends.</summary>
    Task<TopologyView> TopologyAsync(CancellationToken cancel);
}

/// <summary>The cluster membership as one node sees it.</summary>
/// <param name="MembersByStatus">Members counted by status (<c>up</c>, <c>joining</c>, …), every status present.</param>
/// <param name="Unreachable">Members this node cannot reach.</param>
/// <param name="HoldsSingleton">The topology manager (the cluster singleton) runs on this node.</param>
public sealed record ClusterReading(ImmutableDictionary<string, int> MembersByStatus, int Unreachable, bool HoldsSingleton);

/// <summary>The whole network for the topology page and <c>vnet top</c>.</summary>
/// <param name="Node">The node that answered.</param>
/// <param name="TimeUnixMs">When it was read (Unix milliseconds); rates are computed between two reads.</param>
/// <param name="Hosts">The hosts the topology manager knows.</param>
/// <param name="Links">The links it holds, each with the ends the hosts reported.</param>
/// <param name="Problem">Why part of the picture is missing (topology manager out of reach), or null.</param>
public sealed record TopologyView(string Node, long TimeUnixMs, ImmutableArray<HostView> Hosts, ImmutableArray<LinkView> Links, string? Problem);

/// <summary>A host and its VMs.</summary>
public sealed record HostView(string Name, string Address, bool Up, ImmutableArray<VmView> Vms);

/// <summary>A VM of a host.</summary>
public sealed record VmView(string Name, string State, ImmutableArray<string> Macs);

/// <summary>A link as the topology manager holds it, with the ends the hosts reported.</summary>
public sealed record LinkView(string Id, string Kind, string Status, string? Detail, int Protocol, LinkOptionsView Options, ImmutableArray<EndView> Ends);

/// <summary>A link's options, in the units <c>link set</c> takes.</summary>
public sealed record LinkOptionsView(string Compression, int Dscp, long BandwidthBitsPerSecond, double DelayMs, double JitterMs, double LossPercent, bool Authenticate, bool Encrypt, bool FilterSource);

/// <summary>One end of a link: where it is, and its host's counters when that host answered.</summary>
public sealed record EndView(string Host, string Vm, string Mac, string? Status, DirectionView? VmToNet, DirectionView? NetToVm);

/// <summary>Counters of one direction of one end.</summary>
public sealed record DirectionView(long Frames, long Bytes, long WireBytes, long Compressed, long Fragmented, long Drops, ImmutableDictionary<string, long> DropsByReason)
{
    /// <summary>From the host's counters.</summary>
    public static DirectionView Of(DirectionCounters c) =>
        new(c.Frames, c.Bytes, c.WireBytes, c.CompressedFrames, c.FragmentedFrames, c.TotalDrops, c.Drops);
}
