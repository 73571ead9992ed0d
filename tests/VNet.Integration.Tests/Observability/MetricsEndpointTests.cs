using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Observability;

/// <summary>
/// /metrics of real vnetd nodes in labs/two-hosts, with iperf3 traffic through link l1: the text
/// parses, and the link's byte counters grow as iperf3 says the bytes crossed.
/// </summary>
public sealed class MetricsEndpointTests(TwoHostsLab lab, ITestOutputHelper output) : IClassFixture<TwoHostsLab>
{
    private LabSession Session => lab.Session;

    [Fact]
    public async Task Link_byte_counters_grow_with_what_iperf3_carried_within_five_percent()
    {
        (string, string)[] delivered = [("link", "l1"), ("host", "h2"), ("direction", "net-to-vm")];
        (string, string)[] sent = [("link", "l1"), ("host", "h1"), ("direction", "vm-to-net")];
        var before2 = LabMetrics.Scrape(Session, "h2");
        var before1 = LabMetrics.Scrape(Session, "h1");
        var tcp = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), "10.250.0.2", 3, logDirectory: Session.State.Directory, port: 5211);
        await Task.Delay(500);
        var after2 = LabMetrics.Scrape(Session, "h2");
        var after1 = LabMetrics.Scrape(Session, "h1");

        var toVm2 = after2.Value("vnet_link_bytes_total", delivered)!.Value - before2.Value("vnet_link_bytes_total", delivered)!.Value;
        var fromVm1 = after1.Value("vnet_link_bytes_total", sent)!.Value - before1.Value("vnet_link_bytes_total", sent)!.Value;
        var frames = after2.Value("vnet_link_frames_total", delivered)!.Value - before2.Value("vnet_link_frames_total", delivered)!.Value;
        output.WriteLine($"iperf3 received {tcp.Bytes} B ({tcp.ReceivedBitsPerSecond / 1e6:0.0} Mbit/s); h2 net-to-vm +{toVm2:0} B in {frames:0} frames; h1 vm-to-net +{fromVm1:0} B; ratio {toVm2 / tcp.Bytes:0.0000}");
        Assert.True(tcp.Bytes > 1_000_000, $"iperf3 moved only {tcp.Bytes} bytes");
        // The frames carry iperf3's payload plus Ethernet/IP/TCP headers (and the small control connection).
        Assert.InRange(toVm2 / tcp.Bytes, 0.95, 1.05);
        // What h1 sent into the link is what h2 delivered (no loss configured).
        Assert.InRange(fromVm1 / toVm2, 0.99, 1.01);
        Assert.True(after1.Value("vnet_link_capsule_bytes_total", sent) > before1.Value("vnet_link_capsule_bytes_total", sent));
        Assert.Equal(1, after1.Value("vnet_link_state", ("link", "l1"), ("host", "h1"), ("state", "established")));
    }

    [Fact]
    public void Metrics_parse_with_help_and_type_and_cover_link_node_and_process()
    {
        var families = LabMetrics.Scrape(Session, "h1");
        Assert.All(families, f => Assert.False(string.IsNullOrEmpty(f.Help), f.Name));
        Assert.All(families, f => Assert.StartsWith("vnet_", f.Name, StringComparison.Ordinal));
        Assert.Equal(2, families.Value("vnet_cluster_members", ("status", "up")));
        // h1 is the seed and the oldest member: the topology manager runs there, not on h2.
        Assert.Equal(1, families.Value("vnet_topology_singleton"));
        Assert.Equal(0, LabMetrics.Scrape(Session, "h2").Value("vnet_topology_singleton"));
        Assert.Equal(1, families.Value("vnet_topology_link_state", ("link", "l1"), ("state", "established")));
        Assert.True(families.Value("vnet_negotiations_total", ("outcome", "agreed"), ("role", "initiator")) >= 1);
        Assert.True(families.Value("vnet_negotiation_rounds_count", ("outcome", "agreed")) >= 1);
        Assert.True(families.Value("vnet_process_cpu_seconds_total") > 0);
        Assert.True(families.Value("vnet_process_resident_memory_bytes") > 10_000_000);
        Assert.True(families.Value("vnet_link_drops_total", ("link", "l1"), ("direction", "net-to-vm"), ("reason", "socket-overflow")) >= 0);
        // docs/metrics.md lists what a real node serves (the unit test checks types and labels).
        var docs = File.ReadAllText(Path.Combine(LabSession.RepoRoot, "docs", "metrics.md"));
        Assert.All(families, f => Assert.Contains($"| `{f.Name}` |", docs));
    }

    [Fact]
    public void A_node_runs_with_its_memory_settings_and_shows_where_its_memory_goes()
    {
        var families = LabMetrics.Scrape(Session, "h1");
        Assert.Equal(1, families.Value("vnet_process_gc_mode", ("mode", "workstation"), ("concurrent", "false")));
        var resident = families.Value("vnet_process_resident_memory_bytes")!.Value;
        Assert.InRange(families.Value("vnet_process_private_memory_bytes")!.Value, 10_000_000, resident);
        Assert.True(families.Value("vnet_process_gc_committed_bytes") > 0);
        Assert.True(families.Value("vnet_process_assemblies_loaded") > 10);
        // h1 accepted h2's cluster connection; with pooled DotNetty buffers that connection alone held a
        // 16 MiB array on the managed heap.
        var heap = families.Value("vnet_process_gc_heap_bytes")!.Value;
        output.WriteLine($"h1: RSS {resident / 1e6:0.0} MB, private {families.Value("vnet_process_private_memory_bytes") / 1e6:0.0} MB, managed heap {heap / 1e6:0.0} MB");
        Assert.InRange(heap, 1, 16 * 1024 * 1024);
        // The daemon restarted itself once with the runtime variables that only work from the environment.
        var pid = Session.State.Processes.First(p => p.Name == "vnetd-h1").Pid;
        var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
        Assert.Contains("DOTNET_TieredCompilation=0", environment);
        Assert.Contains("DOTNET_GCgen0size=0x400000", environment);
        Assert.Contains("MALLOC_ARENA_MAX=2", environment);
        Assert.Contains("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", environment);
    }
}

/// <summary>A host killed with SIGKILL: the state metric shows its link down.</summary>
public sealed class KilledHostMetricsTests(TwoHostsLab lab) : IClassFixture<TwoHostsLab>
{
    private LabSession Session => lab.Session;

    [Fact]
    public async Task A_killed_hosts_link_shows_as_down_in_the_state_metric()
    {
        Assert.Equal(1, LabMetrics.Scrape(Session, "h1").Value("vnet_topology_link_state", ("link", "l1"), ("state", "established")));
        Session.Kill("h2");
        await Session.WaitUntilAsync(() =>
        {
            var m = LabMetrics.Scrape(Session, "h1");
            return Task.FromResult(m.Value("vnet_topology_link_state", ("link", "l1"), ("state", "waiting-for-host")) == 1
                && m.Value("vnet_topology_link_state", ("link", "l1"), ("state", "established")) == 0);
        }, TimeSpan.FromSeconds(30), "link l1 shown waiting-for-host in vnet_topology_link_state on h1 after h2 was killed");
        var after = LabMetrics.Scrape(Session, "h1");
        Assert.True(after.Value("vnet_cluster_unreachable_members") >= 1 || after.Value("vnet_cluster_members", ("status", "up")) == 1);
    }
}
