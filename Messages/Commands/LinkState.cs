using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>
/// Where a link is in its life, as the topology manager sees it from both ends' reports. The
/// manager's lifecycle core moves a link between these; `link show` prints them.
/// </summary>
public enum LinkPhase
{
    /// <summary>The hosts are agreeing a protocol number (or ports, for the UDP kinds).</summary>
    Negotiating,
    /// <summary>Agreed; not every end has reported its data plane running yet.</summary>
    Establishing,
    /// <summary>Every end runs its data plane.</summary>
    Established,
    /// <summary>At least one end is restarting a worker or waiting for its VM interface; the others run.</summary>
    Degraded,
    /// <summary>A host of the link is not in the cluster; the link comes back when it returns.</summary>
    WaitingForHost,
    /// <summary>The last attempt failed; the next one is scheduled.</summary>
    BackingOff,
    /// <summary>The link could not be made and is not retried until something changes.</summary>
    Failed,
    /// <summary>Being removed from every host.</summary>
    Deleting,
}

/// <summary>One end of a link as its host last reported it.</summary>
/// <param name="Host">The host of this end.</param>
/// <param name="Vm">The VM joined at this end.</param>
/// <param name="Status">The end's status on its host.</param>
/// <param name="Protocol">The IP protocol number in use (raw kinds), 0 for the UDP kinds.</param>
/// <param name="Port">The local UDP port (UDP kinds), 0 for the raw kinds.</param>
/// <param name="VmMtu">The MTU the VM should use on this link, 0 until the end has started.</param>
/// <param name="Transport">How the end sends and receives (socket kind, offloads), null before it started.</param>
/// <param name="Detail">Why the end is in its status (warnings, the missing interface, the failure), or null.</param>
public sealed record LinkEndState(string Host, string Vm, LinkStatus Status, int Protocol, int Port, int VmMtu, string? Transport, string? Detail);

/// <summary>The whole state of one link: what was asked, where it runs, and every end.</summary>
/// <param name="Link">The link as placed (hosts, MACs, protocol number, options).</param>
/// <param name="Phase">Where the link is in its life.</param>
/// <param name="Detail">Why it is in that phase (the failure, the host awaited), or null.</param>
/// <param name="Ends">One entry per end, in the order of <see cref="LinkSpec.Endpoints"/>.</param>
public sealed record LinkState(LinkSpec Link, LinkPhase Phase, string? Detail, ImmutableArray<LinkEndState> Ends)
{
    /// <summary>The VM MTU of the link (the smallest of the ends'), or null while an end has not started.</summary>
    public int? VmMtu => Ends.Length > 0 && Ends.All(e => e.VmMtu > 0) ? Ends.Min(e => e.VmMtu) : null;
}
