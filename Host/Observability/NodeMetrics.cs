using System.Collections.Immutable;
using Prometheus;
using VNet.Messages;

namespace VNet.Host.Observability;

/// <summary>
/// Every metric a node serves, in its own registry. All but the negotiation metrics are read at
/// scrape time from what the node already keeps (the links' counters, the cluster state, the
/// discovery counters, the process), through <see cref="ITopologySource"/>.
/// </summary>
public sealed class NodeMetrics
{
    private readonly ITopologySource _source;
    private readonly SemaphoreSlim _scrape = new(1, 1);
    private readonly LinkMetrics _links;
    private readonly ProcessMetrics _process;
    private readonly Gauge _members, _unreachable, _singleton, _topologyReachable, _topologyState;
    private readonly Counter _discovery;
    private readonly SeriesTracker _series = new();

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>
    /// Registers the metrics in <paramref name="registry"/> (a new one when null; the negotiation
    /// metrics, made before the HostActor, are already in it); <paramref name="source"/> is read at each scrape.
    /// </summary>
    public NodeMetrics(ITopologySource source, CollectorRegistry? registry = null)
    {
        _source = source;
        Registry = registry ?? Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _links = new LinkMetrics(factory);
        _process = new ProcessMetrics(factory);
        _members = factory.CreateGauge("vnet_cluster_members", "Members of the cluster as this node sees them, by status.", ["status"]);
        _unreachable = factory.CreateGauge("vnet_cluster_unreachable_members", "Members this node cannot reach.");
        _singleton = factory.CreateGauge("vnet_topology_singleton", "1 when the topology manager (the cluster singleton) runs on this node.");
        _topologyReachable = factory.CreateGauge("vnet_topology_reachable", "1 when the topology manager answered this scrape (then vnet_topology_link_state is present).");
        _topologyState = factory.CreateGauge("vnet_topology_link_state", "State of each link as the topology manager holds it (the whole link, not one end): 1 for its current state, 0 for the others.", ["link", "kind", "state"]);
        _discovery = factory.CreateCounter("vnet_discovery_messages_total", "Discovery datagrams of this node: queries and answers, received or sent, and those refused.", ["message"]);
        Registry.AddBeforeCollectCallback(UpdateAsync);
    }

    /// <summary>Writes the Prometheus text exposition of every metric to <paramref name="output"/>.</summary>
    public Task WriteAsync(Stream output, CancellationToken cancel) => Registry.CollectAndExportAsTextAsync(output, cancel);

    /// <summary>Reads everything once (one scrape at a time: they share the series).</summary>
    private async Task UpdateAsync(CancellationToken cancel)
    {
        await _scrape.WaitAsync(cancel);
        try
        {
            var table = _source.LocalLinksAsync(cancel);
            var desired = _source.DesiredLinksAsync(cancel);
            var discovery = _source.DiscoveryAsync(cancel);
            var cluster = _source.ClusterAsync(cancel);
            _process.Update();
            if (await table is { } t) _links.Update(t);
            Update(await cluster);
            Update(await desired);
            if (await discovery is { } d) Update(d);
        }
        finally
        {
            _scrape.Release();
        }
    }

    private void Update(ClusterReading cluster)
    {
        foreach (var (status, count) in cluster.MembersByStatus) _members.WithLabels(status).Set(count);
        _unreachable.Set(cluster.Unreachable);
        _singleton.Set(cluster.HoldsSingleton ? 1 : 0);
    }

    private void Update(ImmutableArray<TopologyProtocol.LinkEntry>? links)
    {
        _topologyReachable.Set(links is null ? 0 : 1);
        _series.Begin();
        foreach (var entry in links ?? [])
        {
            var current = LinkMetrics.StateName(entry.Status);
            foreach (var state in LinkMetrics.States) _series.Set(_topologyState, state == current ? 1 : 0, entry.Link.Id, entry.Link.Kind.Name(), state);
        }
        // Out of reach: the last known states are removed rather than shown as if current.
        _series.End();
    }

    private void Update(DiscoveryProtocol.Stats d)
    {
        _discovery.WithLabels("query_received").IncTo(d.Queries);
        _discovery.WithLabels("answer_sent").IncTo(d.AnswersSent);
        _discovery.WithLabels("answer_received").IncTo(d.Answers);
        _discovery.WithLabels("datagram_received").IncTo(d.Received);
        _discovery.WithLabels("rate_limited").IncTo(d.RateLimited);
        _discovery.WithLabels("unsolicited").IncTo(d.Unsolicited);
        _discovery.WithLabels("malformed").IncTo(d.TotalMalformed);
    }
}
