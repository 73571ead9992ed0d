using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using VNet.Messages;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Discovery;

/// <summary>How the bootstrap joins: this node's address, and joining a seed (itself forms a new cluster).</summary>
public interface IClusterJoin
{
    /// <summary>This node's address, as peers see it.</summary>
    string SelfAddress { get; }

    /// <summary>Joins the cluster through <paramref name="seed"/>; <see cref="SelfAddress"/> forms a new cluster.</summary>
    void Join(string seed);
}

/// <summary>Joins with Akka: itself with <c>Cluster.Join</c>, another node as the only seed (never itself).</summary>
public sealed class AkkaClusterJoin(Cluster cluster) : IClusterJoin
{
    /// <inheritdoc/>
    public string SelfAddress => cluster.SelfAddress.ToString();

    /// <inheritdoc/>
    public void Join(string seed)
    {
        var address = Address.Parse(seed);
        if (address.Equals(cluster.SelfAddress)) cluster.Join(address);
        else cluster.JoinSeedNodes([address]); // keeps asking the seed until it answers; never joins itself
    }
}

/// <summary>
/// /user/bootstrap: forms or joins a cluster by discovery when no seed node is configured.
/// Searches with the bootstrap schedule, listens to the queries of other fresh
/// nodes, decides with <see cref="BootstrapRule"/> as soon as an Up member answers or when the
/// search ends, tells peers its choice (through the DiscoveryActor's datagrams), joins, and stops
/// once this node is Up. If it is not Up within the join timeout, it searches and decides again.
/// States: Searching → Joining → (stopped).
/// </summary>
public sealed class ClusterBootstrap : ReceiveActor, IWithTimers
{
    private sealed record JoinTimeout
    {
        public static JoinTimeout Instance { get; } = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DiscoverySettings _settings;
    private readonly IActorRef _discovery;
    private readonly IClusterJoin _join;
    private readonly Dictionary<string, BootstrapPeer> _peers = new(StringComparer.Ordinal);
    private Guid _search;
    private int _attempt;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props.</summary>
    public static Props Props(DiscoverySettings settings, IActorRef discovery, IClusterJoin join) =>
        Akka.Actor.Props.Create(() => new ClusterBootstrap(settings, discovery, join));

    public ClusterBootstrap(DiscoverySettings settings, IActorRef discovery, IClusterJoin join)
    {
        _settings = settings;
        _discovery = discovery;
        _join = join;
        Searching();
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
        _discovery.Tell(new DiscoveryActor.WatchQueries(Self));
        StartSearch();
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal)) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void StartSearch()
    {
        _attempt++;
        _peers.Clear();
        _discovery.Tell(new DiscoveryActor.SetBootstrapSeed(null));
        _discovery.Tell(new Search(_settings.BootstrapTtlMax, 0) { Step = _settings.BootstrapStep });
        _log.Info("no seed nodes configured: searching for a cluster (TTL up to {0}, every {1} s, attempt {2})",
            _settings.BootstrapTtlMax, _settings.BootstrapStep.TotalSeconds, _attempt);
    }

    private void Searching()
    {
        Receive<SearchStarted>(s => _search = s.SearchId);
        Receive<QuerySent>(_ => { });
        Receive<HostFound>(f =>
        {
            Heard(f.Host.Info.NodeAddress, f.Host.State, f.Host.BootstrapSeed);
            if (f.Host.State == MemberState.Up)
            {
                _discovery.Tell(new CancelSearch(_search)); // an Up member answered: no need to wait
                Decide();
            }
        });
        Receive<QueryHeard>(q => Heard(q.NodeAddress, q.State, q.BootstrapSeed));
        Receive<SearchFinished>(f => { if (f.SearchId == _search) Decide(); });
        Receive<ClusterEvent.MemberUp>(OnMemberUp);
        Receive<JoinTimeout>(_ => { });
    }

    private void Joining()
    {
        Receive<SearchStarted>(_ => { });
        Receive<QuerySent>(_ => { });
        Receive<HostFound>(_ => { });
        Receive<SearchFinished>(_ => { });
        Receive<QueryHeard>(_ => { });
        Receive<ClusterEvent.MemberUp>(OnMemberUp);
        Receive<JoinTimeout>(_ =>
        {
            _log.Warning("not Up {0} s after choosing a seed: searching again", _settings.BootstrapJoinTimeout.TotalSeconds);
            Become(Searching);
            StartSearch();
        });
    }

    private void Heard(string? address, MemberState state, string? seed)
    {
        if (string.IsNullOrEmpty(address) || address == _join.SelfAddress) return;
        _peers[address] = new BootstrapPeer(address, state, seed);
    }

    private void Decide()
    {
        var seed = BootstrapRule.Decide(_join.SelfAddress, _peers.Values);
        var self = seed == _join.SelfAddress;
        if (self && _settings.BootstrapJoinOnly)
        {
            // Downed and started again: the cluster still runs somewhere, maybe out of reach for now.
            _log.Info("bootstrap: rejoining; no member of the cluster answered yet ({0} fresh node(s) heard); searching again", _peers.Count);
            StartSearch();
            return;
        }
        _log.Info(self
            ? "bootstrap: forming the cluster ({0} fresh node(s) heard, this one has the lowest address)"
            : "bootstrap: joining through {1} ({0} node(s) heard)", _peers.Count, seed);
        _discovery.Tell(new DiscoveryActor.SetBootstrapSeed(seed));
        _join.Join(seed);
        Become(Joining);
        Timers.StartSingleTimer(JoinTimeout.Instance, JoinTimeout.Instance, _settings.BootstrapJoinTimeout);
    }

    private void OnMemberUp(ClusterEvent.MemberUp up)
    {
        if (up.Member.Address.ToString() != _join.SelfAddress) return;
        _log.Info("bootstrap: this node is Up");
        _discovery.Tell(new DiscoveryActor.SetBootstrapSeed(null));
        Context.Stop(Self);
    }
}
