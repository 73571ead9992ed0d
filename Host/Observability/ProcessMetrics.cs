using System.Diagnostics;
using Prometheus;

namespace VNet.Host.Observability;

/// <summary>The vnetd process: CPU, memory, garbage collections and threads, read at scrape time.</summary>
public sealed class ProcessMetrics
{
    private readonly Counter _cpu, _gc;
    private readonly Gauge _rss, _heap, _threads, _poolThreads, _start;

    /// <summary>Registers the process metrics.</summary>
    public ProcessMetrics(IMetricFactory factory)
    {
        _cpu = factory.CreateCounter("vnet_process_cpu_seconds_total", "CPU time (user and system) the vnetd process used.");
        _rss = factory.CreateGauge("vnet_process_resident_memory_bytes", "Resident memory of the vnetd process.");
        _heap = factory.CreateGauge("vnet_process_gc_heap_bytes", "Bytes allocated on the managed heap and not yet collected.");
        _gc = factory.CreateCounter("vnet_process_gc_collections_total", "Garbage collections of the managed heap, by generation.", ["generation"]);
        _threads = factory.CreateGauge("vnet_process_threads", "Operating-system threads of the vnetd process.");
        _poolThreads = factory.CreateGauge("vnet_process_threadpool_threads", "Threads of the .NET thread pool.");
        _start = factory.CreateGauge("vnet_process_start_time_seconds", "When the vnetd process started (Unix seconds).");
    }

    /// <summary>Reads the process now.</summary>
    public void Update()
    {
        using var self = Process.GetCurrentProcess();
        _cpu.IncTo(self.TotalProcessorTime.TotalSeconds);
        _rss.Set(self.WorkingSet64);
        _threads.Set(self.Threads.Count);
        _start.Set(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        _heap.Set(GC.GetTotalMemory(false));
        for (var g = 0; g <= GC.MaxGeneration; g++) _gc.WithLabels(g.ToString(System.Globalization.CultureInfo.InvariantCulture)).IncTo(GC.CollectionCount(g));
        _poolThreads.Set(ThreadPool.ThreadCount);
    }
}
