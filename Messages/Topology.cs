namespace VNet.Messages;

/// <summary>
/// Messages to the TopologyManager cluster singleton from the hosts and the discovery actor. The
/// console's requests to it, and their replies, are in <c>VNet.Messages.Commands</c>.
/// </summary>
public static class TopologyProtocol
{
    /// <summary>A HostActor announces (or refreshes) itself; the sender is the HostActor.</summary>
    public sealed record HostAnnounce(HostInfo Host) : ITopologyMessage;

    /// <summary>A host reports a change of one of its links (the sender is the HostActor).</summary>
    public sealed record LinkReport(string Host, string LinkId, LinkStatus Status, string? Detail) : ITopologyMessage;

    /// <summary>The DiscoveryActor found a host (it may not be in the cluster yet).</summary>
    public sealed record Discovered(HostInfo Host, int Ttl, MemberState State) : ITopologyMessage;
}
