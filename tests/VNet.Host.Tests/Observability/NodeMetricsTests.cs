using VNet.Actors.Observability;
using VNet.Capture.Forwarding;
using VNet.Host.Observability;
using VNet.Messages;

namespace VNet.Host.Tests.Observability;

public sealed class NodeMetricsTests
{
    [Fact]
    public async Task Link_metrics_are_the_data_plane_counters_of_each_direction()
    {
        var counters = new LinkCounters();
        counters.ToSubstrate.Frames = 10;
        counters.ToSubstrate.Bytes = 15_000;
        counters.ToSubstrate.WireBytes = 7_500;
        counters.ToSubstrate.Compressed = 9;
        counters.ToSubstrate.Fragmented = 2;
        counters.ToSubstrate.Drop(DropReason.Shaper);
        counters.ToSubstrate.Drop(DropReason.Shaper);
        counters.ToVm.Frames = 3;
        counters.ToVm.Bytes = 300;
        counters.ToVm.WireBytes = 330;
        counters.ToVm.Drop(DropReason.SocketOverflow);
        counters.ToVm.Drop(DropReason.CaptureOverflow);
        var source = new FakeTopologySource { Table = new("h1", [FakeTopologySource.Row(FakeTopologySource.Link(), counters)]) };

        var m = await FakeTopologySource.ScrapeAsync(new NodeMetrics(source));

        (string, string)[] out_ = [("link", "l1"), ("kind", "raw-p2p"), ("host", "h1"), ("direction", "vm-to-net")];
        (string, string)[] in_ = [("link", "l1"), ("host", "h1"), ("direction", "net-to-vm")];
        Assert.Equal(10, m.Value("vnet_link_frames_total", out_));
        Assert.Equal(15_000, m.Value("vnet_link_bytes_total", out_));
        Assert.Equal(7_500, m.Value("vnet_link_capsule_bytes_total", out_));
        Assert.Equal(9, m.Value("vnet_link_compressed_frames_total", out_));
        Assert.Equal(2, m.Value("vnet_link_fragmented_frames_total", out_));
        Assert.Equal(0.5, m.Value("vnet_link_compression_ratio", out_));
        Assert.Equal(2, m.Value("vnet_link_drops_total", [.. out_, ("reason", "shaper")]));
        Assert.Equal(0, m.Value("vnet_link_drops_total", [.. out_, ("reason", "oversize")]));
        Assert.Equal(3, m.Value("vnet_link_frames_total", in_));
        Assert.Equal(1, m.Value("vnet_link_drops_total", [.. in_, ("reason", "socket-overflow")]));
        Assert.Equal(1, m.Value("vnet_link_drops_total", [.. in_, ("reason", "capture-overflow")]));
        Assert.Equal(1, m.Value("vnet_link_state", ("link", "l1"), ("state", "established")));
        Assert.Equal(0, m.Value("vnet_link_state", ("link", "l1"), ("state", "down")));
        Assert.Equal(1, m.Value("vnet_links", ("state", "established")));
        Assert.Equal(1480, m.Value("vnet_link_vm_mtu_bytes", ("link", "l1")));
    }

    [Fact]
    public async Task Counters_read_again_at_each_scrape_follow_the_data_plane()
    {
        var counters = new LinkCounters();
        var link = FakeTopologySource.Link();
        var source = new FakeTopologySource();
        var metrics = new NodeMetrics(source);
        counters.ToSubstrate.Bytes = 1000;
        source.Table = new("h1", [FakeTopologySource.Row(link, counters)]);
        Assert.Equal(1000, (await FakeTopologySource.ScrapeAsync(metrics)).Value("vnet_link_bytes_total", ("direction", "vm-to-net")));
        counters.ToSubstrate.Bytes = 5000;
        source.Table = new("h1", [FakeTopologySource.Row(link, counters)]);
        Assert.Equal(5000, (await FakeTopologySource.ScrapeAsync(metrics)).Value("vnet_link_bytes_total", ("direction", "vm-to-net")));
    }

    [Fact]
    public async Task A_deleted_link_leaves_metrics_and_one_made_again_starts_from_zero()
    {
        var counters = new LinkCounters();
        counters.ToSubstrate.Bytes = 9000;
        var source = new FakeTopologySource { Table = new("h1", [FakeTopologySource.Row(FakeTopologySource.Link(), counters)]) };
        var metrics = new NodeMetrics(source);
        Assert.True((await FakeTopologySource.ScrapeAsync(metrics)).Has("vnet_link_bytes_total", ("link", "l1")));

        source.Table = new("h1", []);
        var gone = await FakeTopologySource.ScrapeAsync(metrics);
        Assert.False(gone.Has("vnet_link_bytes_total", ("link", "l1")));
        Assert.False(gone.Has("vnet_link_state", ("link", "l1")));
        Assert.Equal(0, gone.Value("vnet_links", ("state", "established")));

        var again = new LinkCounters();
        again.ToSubstrate.Bytes = 100;
        source.Table = new("h1", [FakeTopologySource.Row(FakeTopologySource.Link(), again)]);
        Assert.Equal(100, (await FakeTopologySource.ScrapeAsync(metrics)).Value("vnet_link_bytes_total", ("link", "l1"), ("direction", "vm-to-net")));
    }

    [Fact]
    public async Task Node_metrics_show_cluster_singleton_topology_and_discovery()
    {
        var source = new FakeTopologySource { Desired = [new(FakeTopologySource.Link(), LinkStatus.Down, "host h2 unreachable")] };
        var m = await FakeTopologySource.ScrapeAsync(new NodeMetrics(source));
        Assert.Equal(2, m.Value("vnet_cluster_members", ("status", "up")));
        Assert.Equal(1, m.Value("vnet_topology_singleton"));
        Assert.Equal(1, m.Value("vnet_topology_reachable"));
        Assert.Equal(1, m.Value("vnet_topology_link_state", ("link", "l1"), ("state", "down")));
        Assert.Equal(0, m.Value("vnet_topology_link_state", ("link", "l1"), ("state", "established")));
        Assert.Equal(4, m.Value("vnet_discovery_messages_total", ("message", "query_received")));
        Assert.Equal(2, m.Value("vnet_discovery_messages_total", ("message", "answer_sent")));
        Assert.Equal(5, m.Value("vnet_discovery_messages_total", ("message", "malformed")));
        Assert.True(m.Value("vnet_process_resident_memory_bytes") > 0);
        Assert.True(m.Value("vnet_process_threads") > 0);
    }

    [Fact]
    public async Task An_unreachable_topology_manager_removes_its_link_states_instead_of_showing_old_ones()
    {
        var source = new FakeTopologySource { Desired = [new(FakeTopologySource.Link(), LinkStatus.Established, null)] };
        var metrics = new NodeMetrics(source);
        Assert.True((await FakeTopologySource.ScrapeAsync(metrics)).Has("vnet_topology_link_state", ("link", "l1")));
        source.Desired = null;
        var m = await FakeTopologySource.ScrapeAsync(metrics);
        Assert.Equal(0, m.Value("vnet_topology_reachable"));
        Assert.False(m.Has("vnet_topology_link_state", ("link", "l1")));
    }

    [Fact]
    public async Task Negotiations_are_counted_by_outcome_and_role_with_rounds_and_duration()
    {
        var metrics = new NodeMetrics(new FakeTopologySource());
        var negotiations = new NegotiationMetrics(Prometheus.Metrics.WithCustomRegistry(metrics.Registry));
        negotiations.Ended(true, NegotiationOutcome.Agreed, 3, TimeSpan.FromMilliseconds(40));
        negotiations.Ended(false, NegotiationOutcome.Failed, 0, TimeSpan.FromSeconds(10));
        var m = await FakeTopologySource.ScrapeAsync(metrics);
        Assert.Equal(1, m.Value("vnet_negotiations_total", ("outcome", "agreed"), ("role", "initiator")));
        Assert.Equal(1, m.Value("vnet_negotiations_total", ("outcome", "failed"), ("role", "responder")));
        Assert.Equal(0, m.Value("vnet_negotiations_total", ("outcome", "stopped"), ("role", "initiator")));
        var rounds = m.Single(f => f.Name == "vnet_negotiation_rounds");
        Assert.Equal(3, rounds.Samples.Single(s => s.Name == "vnet_negotiation_rounds_sum" && s["outcome"] == "agreed").Value);
        Assert.Equal(0, rounds.Samples.Single(s => s.Name == "vnet_negotiation_rounds_bucket" && s["outcome"] == "agreed" && s["le"] == "2").Value);
        Assert.Equal(1, rounds.Samples.Single(s => s.Name == "vnet_negotiation_rounds_bucket" && s["outcome"] == "agreed" && s["le"] == "3").Value);
        var duration = m.Single(f => f.Name == "vnet_negotiation_duration_seconds");
        Assert.Equal(0.04, duration.Samples.Single(s => s.Name == "vnet_negotiation_duration_seconds_sum" && s["outcome"] == "agreed" && s["role"] == "initiator").Value, 6);
    }
}
