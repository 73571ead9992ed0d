using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Prometheus;

namespace VNet.Host.Observability;

/// <summary>The vnetd process: CPU, memory, garbage collections, threads and code, read at scrape time.</summary>
public sealed class ProcessMetrics
{
    private readonly Counter _cpu, _gc, _jitMethods;
    private readonly Gauge _rss, _pss, _private, _anonymous, _heap, _gcCommitted, _gcMode, _threads, _poolThreads, _assemblies, _start;

    /// <summary>Registers the process metrics.</summary>
    public ProcessMetrics(IMetricFactory factory)
    {
        _cpu = factory.CreateCounter("vnet_process_cpu_seconds_total", "CPU time (user and system) the vnetd process used.");
        _rss = factory.CreateGauge("vnet_process_resident_memory_bytes", "Resident memory of the vnetd process.");
        _pss = factory.CreateGauge("vnet_process_proportional_memory_bytes", "Proportional set size: resident memory with each shared page divided among the processes that map it (smaps_rollup Pss).");
        _private = factory.CreateGauge("vnet_process_private_memory_bytes", "Resident pages no other process maps: what this vnetd alone costs the machine (smaps_rollup Private_Clean + Private_Dirty).");
        _anonymous = factory.CreateGauge("vnet_process_anonymous_memory_bytes", "Resident pages backed by no file: managed heap, native allocations, thread stacks (smaps_rollup Anonymous).");
        _heap = factory.CreateGauge("vnet_process_gc_heap_bytes", "Bytes allocated on the managed heap and not yet collected.");
        _gcCommitted = factory.CreateGauge("vnet_process_gc_committed_bytes", "Memory the garbage collector has committed for the managed heap and its bookkeeping.");
        _gcMode = factory.CreateGauge("vnet_process_gc_mode", "1 for the garbage collector's mode: workstation or server, concurrent (background) or not.", ["mode", "concurrent"]);
        _gc = factory.CreateCounter("vnet_process_gc_collections_total", "Garbage collections of the managed heap, by generation.", ["generation"]);
        _threads = factory.CreateGauge("vnet_process_threads", "Operating-system threads of the vnetd process.");
        _poolThreads = factory.CreateGauge("vnet_process_threadpool_threads", "Threads of the .NET thread pool.");
        _assemblies = factory.CreateGauge("vnet_process_assemblies_loaded", "Assemblies loaded into the process.");
        _jitMethods = factory.CreateCounter("vnet_process_jit_compiled_methods_total", "Methods the JIT compiled (each tier of a method counts).");
        _start = factory.CreateGauge("vnet_process_start_time_seconds", "When the vnetd process started (Unix seconds).");
    }

    /// <summary>Reads the process now.</summary>
    public void Update()
    {
        using var self = Process.GetCurrentProcess();
        _cpu.IncTo(self.TotalProcessorTime.TotalSeconds);
        _rss.Set(self.WorkingSet64);
        if (SmapsRollup.ReadSelf() is { } rollup)
        {
            _pss.Set(rollup.Proportional);
            _private.Set(rollup.Private);
            _anonymous.Set(rollup.Anonymous);
        }
        _threads.Set(self.Threads.Count);
        _start.Set(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        _heap.Set(GC.GetTotalMemory(false));
        _gcCommitted.Set(GC.GetGCMemoryInfo().TotalCommittedBytes);
        // Batch is the latency mode of a collector whose background (concurrent) collection is off.
        _gcMode.WithLabels(GCSettings.IsServerGC ? "server" : "workstation", GCSettings.LatencyMode == GCLatencyMode.Batch ? "false" : "true").Set(1);
        for (var g = 0; g <= GC.MaxGeneration; g++) _gc.WithLabels(g.ToString(CultureInfo.InvariantCulture)).IncTo(GC.CollectionCount(g));
        _poolThreads.Set(ThreadPool.ThreadCount);
        _assemblies.Set(AppDomain.CurrentDomain.GetAssemblies().Length);
        _jitMethods.IncTo(System.Runtime.JitInfo.GetCompiledMethodCount());
    }
}
