using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="GetMembers"/>.</summary>
public interface IGetMembersReply : ICommandReply;

/// <summary>Replies to <see cref="GetClusterStatus"/>.</summary>
public interface IGetClusterStatusReply : ICommandReply;

/// <summary>Replies to <see cref="GetLeader"/>.</summary>
public interface IGetLeaderReply : ICommandReply;

/// <summary>Replies to <see cref="LeaveCluster"/>.</summary>
public interface ILeaveClusterReply : ICommandReply;

/// <summary>Replies to <see cref="DownUnreachable"/>.</summary>
public interface IDownUnreachableReply : ICommandReply;

/// <summary>Replies to <see cref="TailCluster"/>.</summary>
public interface ITailClusterReply : ICommandReply;

/// <summary><c>cluster show</c>: the members as the node the console is connected to sees them.</summary>
public sealed record GetMembers : IRequest<IGetMembersReply>
{
    /// <summary>The single instance.</summary>
    public static GetMembers Instance { get; } = new();
}

/// <summary>One member.</summary>
/// <param name="Address">Its Akka address.</param>
/// <param name="Host">The host name the topology manager knows for it, or null.</param>
/// <param name="Status">Its membership status, lower case (joining, up, leaving, exiting, down, removed, weaklyup).</param>
/// <param name="Reachable">False when this node sees it as unreachable.</param>
/// <param name="Leader">True for the cluster's leader.</param>
/// <param name="Oldest">True for the oldest member that is up: it runs the topology manager.</param>
/// <param name="Roles">Its roles.</param>
public sealed record MemberEntry(string Address, string? Host, string Status, bool Reachable, bool Leader, bool Oldest, ImmutableArray<string> Roles);

/// <summary>The members, by address.</summary>
public sealed record MemberList(string Node, ImmutableArray<MemberEntry> Members) : IGetMembersReply;

/// <summary><c>cluster status</c>: the node's own membership status.</summary>
public sealed record GetClusterStatus : IRequest<IGetClusterStatusReply>
{
    /// <summary>The single instance.</summary>
    public static GetClusterStatus Instance { get; } = new();
}

/// <summary>The node, its address and its status (lower case).</summary>
public sealed record ClusterStatus(string Node, string Address, string Status) : IGetClusterStatusReply;

/// <summary><c>cluster leader</c>: the leader and the oldest member (where the topology manager runs).</summary>
public sealed record GetLeader : IRequest<IGetLeaderReply>
{
    /// <summary>The single instance.</summary>
    public static GetLeader Instance { get; } = new();
}

/// <summary>The leader's and the oldest member's addresses, null when there is none.</summary>
public sealed record LeaderInfo(string? Leader, string? Oldest) : IGetLeaderReply;

/// <summary><c>cluster leave</c>: make a member leave gracefully; null = the node itself.</summary>
public sealed record LeaveCluster(string? Address = null) : IRequest<ILeaveClusterReply>;

/// <summary>The member is leaving.</summary>
public sealed record LeavingCluster(string Address) : ILeaveClusterReply;

/// <summary>A cluster request was refused (no such member).</summary>
public sealed record ClusterRejected(ImmutableArray<string> Problems) : ILeaveClusterReply, IRejection;

/// <summary><c>cluster down-unreachable</c>: down every member marked unreachable.</summary>
public sealed record DownUnreachable : IRequest<IDownUnreachableReply>
{
    /// <summary>The single instance.</summary>
    public static DownUnreachable Instance { get; } = new();
}

/// <summary>The members downed (none when every member was reachable).</summary>
public sealed record UnreachableDowned(ImmutableArray<string> Downed) : IDownUnreachableReply;

/// <summary><c>cluster tail</c>: membership events for <paramref name="Seconds"/>, starting with the current members.</summary>
public sealed record TailCluster(int Seconds) : IStreamRequest<MemberEvent, ITailClusterReply>;

/// <summary>A membership event.</summary>
/// <param name="Time">When the node saw it (UTC).</param>
/// <param name="Event">What happened: joined, up, weaklyup, left, exited, downed, removed.</param>
/// <param name="Member">The member's address.</param>
/// <param name="Status">The member's status after the event (lower case).</param>
public sealed record MemberEvent(DateTime Time, string Event, string Member, string Status) : ICommandItem;

/// <summary>The tail is over.</summary>
public sealed record TailEnded(int Events) : ITailClusterReply;
