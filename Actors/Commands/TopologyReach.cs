using System.Collections.Immutable;
using Akka.Cluster;

namespace VNet.Actors.Commands;

/// <summary>What a console needs to know of the cluster to tell whether the topology manager can answer.</summary>
/// <param name="SelfStatus">This node's membership status (null: not a member yet).</param>
/// <param name="Members">
/// The members that hold the singleton or held it until now (Up, Leaving, Exiting, Down: a downed
/// member keeps it, unreachable, until it is removed), oldest first, by address.
/// </param>
/// <param name="Unreachable">Members this node sees as unreachable.</param>
/// <param name="MemberCount">All members, whatever their status.</param>
/// <param name="Going">Members that are Exiting or Down: on their way out of the cluster.</param>
public sealed record ClusterView(MemberStatus? SelfStatus, ImmutableArray<string> Members, ImmutableHashSet<string> Unreachable, int MemberCount, ImmutableHashSet<string> Going)
{
    /// <summary>The view of <paramref name="cluster"/> now.</summary>
    public static ClusterView Of(Cluster cluster)
    {
        var state = cluster.State;
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress));
        var candidates = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down)
            .OrderBy(m => m, Member.AgeOrdering).Select(m => m.Address.ToString()).ToImmutableArray();
        var going = state.Members.Where(m => m.Status is MemberStatus.Exiting or MemberStatus.Down).Select(m => m.Address.ToString()).ToImmutableHashSet();
        return new ClusterView(self?.Status, candidates, state.Unreachable.Select(m => m.Address.ToString()).ToImmutableHashSet(), state.Members.Count, going);
    }
}

/// <summary>
/// Whether the topology manager (the cluster singleton, on the oldest member) can answer a request
/// made on this node now, and if not, the message the console answers at once instead of letting
/// the request wait for a timeout: this node is not a member (joining, or rejoining after it was
/// downed), it cannot reach most of the cluster (the losing side of a partition), or the
/// singleton's node is unreachable (the manager moves once the split-brain resolver downs it).
/// </summary>
public static class TopologyReach
{
    /// <summary>Null when the manager should answer; otherwise why not and when to retry.</summary>
    /// <param name="view">The cluster as this node sees it.</param>
    /// <param name="handOver">How long a hand-over takes at most (failure detection + the resolver's stable-after + start).</param>
    /// <param name="name">Turns a member address into what the user knows it as (its host name).</param>
    public static string? Problem(ClusterView view, TimeSpan handOver, Func<string, string>? name = null)
    {
        name ??= a => a;
        var retry = $"retry in {Math.Ceiling(handOver.TotalSeconds):0} s";
        if (view.SelfStatus is not (MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving))
        {
            var status = view.SelfStatus?.ToString().ToLowerInvariant() ?? "not a member";
            return $"topology manager out of reach: this node is not in the cluster ({status}; it joins, or rejoins after it was downed, as soon as it reaches a member); {retry}, or use another node's console";
        }
        if (view.MemberCount > 1 && view.Unreachable.Count * 2 > view.MemberCount)
            return $"topology manager out of reach: this node cannot reach {view.Unreachable.Count} of the {view.MemberCount} members ({string.Join(", ", view.Unreachable.Order(StringComparer.Ordinal).Select(name))}); if it is cut off, the split-brain resolver downs this side and it rejoins when the network heals; {retry}";
        if (view.Members.IsDefaultOrEmpty) return $"topology manager not started yet: no member is up; {retry}";
        var oldest = view.Members[0];
        if (view.Going.Contains(oldest))
            return $"topology manager moving: its node {name(oldest)} is leaving the cluster; the next oldest node takes it over once {name(oldest)} is removed; {retry}";
        if (view.Unreachable.Contains(oldest))
            return $"topology manager moving: its node {name(oldest)} is unreachable; the next oldest node takes it over once {name(oldest)} is downed; {retry}";
        return null;
    }
}
