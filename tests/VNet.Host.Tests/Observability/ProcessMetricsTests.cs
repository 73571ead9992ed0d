using System.Runtime;

namespace VNet.Host.Tests.Observability;

public sealed class ProcessMetricsTests
{
    [Fact]
    public async Task Process_metrics_show_private_memory_managed_heap_collector_mode_assemblies_and_compiled_methods()
    {
        var m = await FakeTopologySource.ScrapeAsync(new VNet.Host.Observability.NodeMetrics(new FakeTopologySource()));
        var resident = m.Value("vnet_process_resident_memory_bytes");
        Assert.InRange(m.Value("vnet_process_private_memory_bytes"), 1, resident);
        Assert.InRange(m.Value("vnet_process_proportional_memory_bytes"), m.Value("vnet_process_private_memory_bytes"), resident);
        Assert.InRange(m.Value("vnet_process_anonymous_memory_bytes"), 1, resident);
        Assert.InRange(m.Value("vnet_process_gc_committed_bytes"), 1, double.MaxValue);
        var mode = GCSettings.IsServerGC ? "server" : "workstation";
        var concurrent = GCSettings.LatencyMode == GCLatencyMode.Batch ? "false" : "true";
        Assert.Equal(1, m.Value("vnet_process_gc_mode", ("mode", mode), ("concurrent", concurrent)));
        // This test assembly, the host's and the runtime's own are loaded at least.
        Assert.InRange(m.Value("vnet_process_assemblies_loaded"), 3, 10_000);
        Assert.InRange(m.Value("vnet_process_jit_compiled_methods_total"), 1, double.MaxValue);
    }
}
