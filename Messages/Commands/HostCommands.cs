using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="GetHosts"/>.</summary>
public interface IGetHostsReply : ICommandReply;

/// <summary>Replies to <see cref="GetHostInfo"/>.</summary>
public interface IGetHostInfoReply : ICommandReply;

/// <summary>Replies to <see cref="GetHostLinks"/>.</summary>
public interface IGetHostLinksReply : ICommandReply;

/// <summary>Whether a known host is in the cluster now.</summary>
public enum HostStatus
{
    /// <summary>A member that announced itself.</summary>
    Up,
    /// <summary>A member this cluster cannot reach.</summary>
    Unreachable,
    /// <summary>Left or was removed.</summary>
    Down,
    /// <summary>Answered a discovery search but never announced itself in this cluster.</summary>
    Discovered,
}

/// <summary>
/// <c>hosts show</c>: every host the topology manager knows (from announces, discovery and
/// membership), or only <paramref name="Host"/> (refused when unknown).
/// </summary>
public sealed record GetHosts(string? Host = null) : IRequest<IGetHostsReply>;

/// <summary>One known host.</summary>
/// <param name="Info">What the host last told about itself.</param>
/// <param name="Status">Whether it is in the cluster now.</param>
/// <param name="Links">Desired links with an endpoint on this host.</param>
/// <param name="Ttl">The smallest TTL at which a discovery search found it, if one did.</param>
public sealed record HostEntry(HostInfo Info, HostStatus Status, int Links, int? Ttl)
{
    /// <summary>True when the host is a member that announced itself.</summary>
    public bool Up => Status == HostStatus.Up;
}

/// <summary>The hosts asked for, by name.</summary>
public sealed record HostList(ImmutableArray<HostEntry> Hosts) : IGetHostsReply;

/// <summary>The host asked for is not known.</summary>
public sealed record HostRejected(string Host, ImmutableArray<string> Problems) : IGetHostsReply, IRejection;

/// <summary><c>host show</c> and <c>host inventory</c>: the host of the node the console is connected to.</summary>
public sealed record GetHostInfo : IRequest<IGetHostInfoReply>
{
    /// <summary>The single instance.</summary>
    public static GetHostInfo Instance { get; } = new();
}

/// <summary>The node's host: name, substrate address, interfaces, VMs and load.</summary>
public sealed record HostDescribed(HostInfo Info) : IGetHostInfoReply;

/// <summary><c>host links</c>: the link table of the node's host.</summary>
public sealed record GetHostLinks : IRequest<IGetHostLinksReply>
{
    /// <summary>The single instance.</summary>
    public static GetHostLinks Instance { get; } = new();
}

/// <summary>One link on the host: its end here, status, VM MTU and counters.</summary>
/// <param name="Link">The link as this host runs it (without its key).</param>
/// <param name="Status">The end's status.</param>
/// <param name="Detail">Why it is in that status, or null.</param>
/// <param name="VmMtu">The VM MTU of this end, 0 before it started.</param>
/// <param name="ToSubstrate">Counters from the VM to the substrate.</param>
/// <param name="ToVm">Counters from the substrate to the VM.</param>
public sealed record HostLink(LinkSpec Link, LinkStatus Status, string? Detail, int VmMtu, DirectionCounters ToSubstrate, DirectionCounters ToVm);

/// <summary>The host's link table.</summary>
public sealed record HostLinks(string Host, ImmutableArray<HostLink> Links) : IGetHostLinksReply;
