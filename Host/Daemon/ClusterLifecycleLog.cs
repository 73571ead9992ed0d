using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace VNet.Host.Daemon;

/// <summary>
/// Writes one INFO line per cluster lifecycle event, for the lab log and the journal: this node up
/// (address, roles, members), members joined, up, leaving, exited, removed, unreachable and
/// reachable again, and the topology manager moving. The topology manager is a cluster singleton,
/// which Akka runs on the oldest member that is up, so the line names that member whenever it
/// changes and says when it is this node.
/// </summary>
public sealed class ClusterLifecycleLog : ReceiveActor
{
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableSortedSet<Member> _up = ImmutableSortedSet.Create(Member.AgeOrdering);
    private Address? _oldest;

    /// <summary>Props of the listener.</summary>
    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterLifecycleLog());

    /// <summary>Subscribes to the cluster's member and reachability events.</summary>
    public ClusterLifecycleLog()
    {
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var m in state.Members.Where(m => m.Status == MemberStatus.Up)) _up = _up.Add(m);
            // Subscribed after this node came up: say so once, as the MemberUp would have.
            if (_up.FirstOrDefault(m => m.Address == _cluster.SelfAddress) is { } self) NodeUp(self);
            MaybeMoved();
        });
        Receive<ClusterEvent.MemberJoined>(e => _log.Info("member joined: {0} (roles {1})", e.Member.Address, Roles(e.Member)));
        Receive<ClusterEvent.MemberUp>(e =>
        {
            _up = _up.Add(e.Member);
            if (e.Member.Address == _cluster.SelfAddress) NodeUp(e.Member);
            else _log.Info("member up: {0} (roles {1}), {2} members up", e.Member.Address, Roles(e.Member), _up.Count);
            MaybeMoved();
        });
        Receive<ClusterEvent.MemberLeft>(e => _log.Info("member leaving: {0}", e.Member.Address));
        Receive<ClusterEvent.MemberExited>(e => _log.Info("member exited: {0}", e.Member.Address));
        Receive<ClusterEvent.MemberDowned>(e => _log.Info("member downed: {0}", e.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            if (e.Member.Address == _cluster.SelfAddress)
            {
                // What this node sees of the others after it left is not news about them.
                _log.Info("node removed from the cluster: {0} (was {1})", e.Member.Address, e.PreviousStatus);
                Context.Stop(Self);
                return;
            }
            _up = _up.Remove(e.Member);
            _log.Info("member removed: {0} (was {1}), {2} members up", e.Member.Address, e.PreviousStatus, _up.Count);
            MaybeMoved();
        });
        Receive<ClusterEvent.UnreachableMember>(e => _log.Info("member unreachable: {0}", e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => _log.Info("member reachable again: {0}", e.Member.Address));
    }

    /// <inheritdoc/>
    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    /// <inheritdoc/>
    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void NodeUp(Member self) =>
        _log.Info("node up: {0} (roles {1}), {2}", self.Address, Roles(self), _up.Count == 1 ? "the first member of a new cluster" : $"{_up.Count} members up");

    private void MaybeMoved()
    {
        var oldest = _up.IsEmpty ? null : _up.Min!.Address;
        if (oldest is null || oldest == _oldest) return;
        _log.Info(oldest == _cluster.SelfAddress ? "topology manager (cluster singleton) runs here, on {0}" : "topology manager (cluster singleton) on {0}", oldest);
        _oldest = oldest;
    }

    private static string Roles(Member m) => m.Roles.Count == 0 ? "none" : string.Join(",", m.Roles);
}
