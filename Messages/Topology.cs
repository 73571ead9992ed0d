using System.Collections.Immutable;
using VNet.Messages.Commands;

namespace VNet.Messages;

/// <summary>Messages to and from the TopologyManager cluster singleton.</summary>
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

    /// <summary>
    /// Create a link between VMs, named by VM; hosts and addresses are resolved by the manager. A VM
    /// written <c>vm@host</c> is pinned to that host; otherwise it goes to the least-loaded host
    /// that offers it (lowest C_n).
    /// </summary>
    public sealed record CreateLink(string Id, LinkKind Kind, ImmutableArray<string> Vms, LinkOptions Options) : ITopologyMessage
    {
        /// <summary>A protocol number to propose first (from a network file); 0 = pick at random.</summary>
        public int PreferredProtocol { get; init; }
    }

    /// <summary>Change the options of a link on every host it spans, without dropping it.</summary>
    public sealed record SetLinkOptions(string Id, LinkOptions Options) : ITopologyMessage;

    /// <summary>Delete a link everywhere.</summary>
    public sealed record DeleteLink(string Id) : ITopologyMessage;

    /// <summary>Generic success of a topology command.</summary>
    public sealed record Done(string What) : ITopologyMessage;

    /// <summary>Generic failure of a topology command, with a message for the user.</summary>
    public sealed record Failed(string Reason) : ITopologyMessage;

    /// <summary>Ask for the hosts the manager knows.</summary>
    public sealed record GetHosts : ITopologyMessage
    {
        /// <summary>The single instance.</summary>
        public static GetHosts Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="GetHosts"/>.</summary>
    public sealed record HostList(ImmutableArray<HostEntry> Hosts) : ITopologyMessage;

    /// <summary>One known host and whether it is in the cluster now.</summary>
    public sealed record HostEntry(HostInfo Info, bool Up)
    {
        /// <summary>
        /// <c>up</c> (member, announcing), <c>unreachable</c>, <c>down</c> (left or removed) or
        /// <c>discovered</c> (answered a discovery search but never announced itself in this cluster).
        /// </summary>
        public string State { get; init; } = Up ? "up" : "down";

        /// <summary>Desired links with an endpoint on this host.</summary>
        public int Links { get; init; }

        /// <summary>The smallest TTL at which a discovery search found the host, if one did.</summary>
        public int? Ttl { get; init; }
    }

    /// <summary>Ask for the desired links and their state as the manager knows it.</summary>
    public sealed record GetLinks : ITopologyMessage
    {
        /// <summary>The single instance.</summary>
        public static GetLinks Instance { get; } = new();
    }

    /// <summary>A desired link and its state.</summary>
    public sealed record LinkEntry(LinkSpec Link, LinkStatus Status, string? Detail)
    {
        /// <summary>The whole state of the link: its phase and every end as last reported.</summary>
        public LinkState? State { get; init; }
    }

    /// <summary>Reply to <see cref="GetLinks"/>.</summary>
    public sealed record LinkList(ImmutableArray<LinkEntry> Links) : ITopologyMessage;
}
