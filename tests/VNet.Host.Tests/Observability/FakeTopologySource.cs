using System.Collections.Immutable;
using VNet.Capture.Forwarding;
using VNet.Host.Observability;
using VNet.Messages;

namespace VNet.Host.Tests.Observability;

/// <summary>Readings a test sets, for the metrics to read at scrape time.</summary>
internal sealed class FakeTopologySource : ITopologySource
{
    public LinkProtocol.Table? Table { get; set; } = new("h1", []);
    public ImmutableArray<TopologyProtocol.LinkEntry>? Desired { get; set; } = [];
    public DiscoveryProtocol.Stats? Discovery { get; set; } = new("239.192.86.78", 48600, ["eth0"], 10, 4, 3, 2, 1, 0, ImmutableDictionary<string, long>.Empty.Add("short", 5));
    public ClusterReading Cluster { get; set; } = new(ImmutableDictionary<string, int>.Empty.Add("up", 2).Add("joining", 0), 0, true);
    public TopologyView View { get; set; } = new("h1", 0, [], [], null);

    public Task<LinkProtocol.Table?> LocalLinksAsync(CancellationToken cancel) => Task.FromResult(Table);
    public Task<ImmutableArray<TopologyProtocol.LinkEntry>?> DesiredLinksAsync(CancellationToken cancel) => Task.FromResult(Desired);
    public Task<DiscoveryProtocol.Stats?> DiscoveryAsync(CancellationToken cancel) => Task.FromResult(Discovery);
    public Task<ClusterReading> ClusterAsync(CancellationToken cancel) => Task.FromResult(Cluster);
    public Task<TopologyView> TopologyAsync(CancellationToken cancel) => Task.FromResult(View);

    /// <summary>A raw-p2p link l1 between vm1@h1 and vm2@h2.</summary>
    public static LinkSpec Link(string id = "l1", LinkKind kind = LinkKind.RawP2P) =>
        new(id, kind, [new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.10"), new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "198.51.100.10")], LinkOptions.Default);

    /// <summary>A table row from data-plane counters, as the HostActor makes it.</summary>
    public static LinkProtocol.Row Row(LinkSpec link, LinkCounters counters, LinkStatus status = LinkStatus.Established) =>
        new(link, status, null, counters.ToSubstrate.Snapshot(), counters.ToVm.Snapshot(), 1480);

    /// <summary>What /metrics serves now, parsed.</summary>
    public static async Task<ImmutableArray<PrometheusFamily>> ScrapeAsync(NodeMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream, CancellationToken.None);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}

internal static class FamilyExtensions
{
    public static double Value(this ImmutableArray<PrometheusFamily> families, string name, params (string Label, string Value)[] labels) =>
        families.Single(f => f.Name == name).Samples.Single(s => s.Name == name && labels.All(l => s[l.Label] == l.Value)).Value;

    public static bool Has(this ImmutableArray<PrometheusFamily> families, string name, params (string Label, string Value)[] labels) =>
        families.Any(f => f.Name == name && f.Samples.Any(s => labels.All(l => s[l.Label] == l.Value)));
}
