using VNet.Messages.Commands;

namespace VNet.Messages;

/// <summary>
/// Messages to the TopologyManager cluster singleton from the hosts and the discovery actor. The
/// console's requests to it, and their replies, are in <c>VNet.Messages.Commands</c>.
/// </summary>
public static class TopologyProtocol
{
    /// <summary>A HostActor announces (or refreshes) itself; the sender is the HostActor.</summary>
    public sealed record HostAnnounce(HostInfo Host) : ITopologyMessage;

    /// <summary>
    /// A host reports the state of its end of a link whenever it changes (the sender is the
    /// HostActor): every end of every link reports, so the manager knows the whole link.
    /// <paramref name="Attempt"/> is the <see cref="LinkSpec.Attempt"/> of the link the end belongs to.
    /// </summary>
    public sealed record LinkReport(string LinkId, Guid Attempt, LinkEndState End) : ITopologyMessage;

    /// <summary>The DiscoveryActor found a host (it may not be in the cluster yet).</summary>
    public sealed record Discovered(HostInfo Host, int Ttl, MemberState State) : ITopologyMessage;
}
