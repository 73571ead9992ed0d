using System.Collections;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace VNet.Host.Daemon;

/// <summary>
/// vnetd runs with a few runtime variables of its own, which only take effect when a process starts
/// and which runtimeconfig.json cannot carry. So the daemon replaces its own image (execve, same pid)
/// once with them added to its environment; the CLI keeps the defaults and its fast start-up. A
/// variable the operator already set keeps the operator's value.
/// </summary>
internal static partial class OptimizedRestart
{
    /// <summary>The variables the daemon runs with (values as the runtime and glibc read them from the environment).</summary>
    internal static readonly ImmutableArray<(string Name, string Value)> Variables =
    [
        // Tiered compilation off: the forwarding loops must be fully optimized from the first frame.
        // With tiering on, the data plane ran 30–50 % slower for its first 10–15 s under load (the
        // background JIT competes with the saturated forwarders for the CPU) — measured in the
        // two-hosts lab.
        ("DOTNET_TieredCompilation", "0"),
        // A gen0 budget of 4 MiB. With background GC off, the workstation GC sizes gen0 from the L3
        // cache (a 32 MiB L3 lets ~20 MiB of garbage pile up before each collection). The data plane
        // allocates nothing, so gen0 holds control-plane garbage only and its collections stay short.
        // The GC reads GCgen0size from the environment only, not from runtimeconfig.json.
        ("DOTNET_GCgen0size", "0x400000"),
        // At most 2 glibc malloc arenas instead of 8 per core: each thread that allocates natively
        // (the JIT, OpenSSL, the runtime's own thread set-up) otherwise gets an arena of its own,
        // which keeps the memory freed into it. The data plane allocates no native memory per frame.
        ("MALLOC_ARENA_MAX", "2"),
        // No spinning in the runtime's thread pool before a worker sleeps. The control plane wakes a
        // worker about a hundred times a second (timers, heartbeats); each then spun on sched_yield
        // (measured: 5000 yields a second per worker on an idle node), taking CPU the forwarder
        // threads and the kernel's packet path need. Without it the workers switch about 350 times a
        // second, and an idle node of the two-host lab uses 3.3-3.8 % of a core instead of 7.6 %.
        // Frames never pass through the thread pool.
        ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0"),
    ];

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execve(string path, string?[] argv, string?[] envp);

    /// <summary>
    /// Those of <see cref="Variables"/> that <paramref name="environment"/> lacks; none once the daemon
    /// restarted with them (so it restarts at most once) or when the operator set them all.
    /// </summary>
    internal static ImmutableArray<(string Name, string Value)> Missing(Func<string, string?> environment) =>
        [.. Variables.Where(v => environment(v.Name) is null)];

    /// <summary>Re-executes this process with <see cref="Variables"/> added unless they are all set already.</summary>
    public static void EnsureDaemonEnvironment(string[] args)
    {
        var missing = Missing(Environment.GetEnvironmentVariable);
        if (missing.IsEmpty || Environment.ProcessPath is not { } exe) return;
        var argv = new List<string?> { exe };
        // Under `dotnet VNet.Host.dll`, the host needs the assembly path back; the apphost does not.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") argv.Add(typeof(OptimizedRestart).Assembly.Location);
        argv.AddRange(args);
        argv.Add(null);
        var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}")
            .Concat(missing.Select(v => $"{v.Name}={v.Value}")).ToList<string?>();
        env.Add(null);
        RemoveDiagnosticsSocket();
        execve(exe, [.. argv], [.. env]);
        // Only returns on failure: run on with the defaults, which is slower but correct.
        System.Console.Error.WriteLine($"vnetd: could not restart with {string.Join(", ", missing.Select(v => $"{v.Name}={v.Value}"))} ({Marshal.GetLastPInvokeErrorMessage()}); running without");
    }

    /// <summary>
    /// The runtime listens for diagnostic tools (dotnet-counters, dotnet-gcdump) on
    /// TMPDIR/dotnet-diagnostic-PID-KEY-socket; the image after execve has the same pid and key, and
    /// cannot bind that path while the file of the image before it is still there, so no tool could
    /// reach the daemon. The file goes first.
    /// </summary>
    private static void RemoveDiagnosticsSocket()
    {
        var dir = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp";
        try
        {
            foreach (var socket in Directory.EnumerateFiles(dir, $"dotnet-diagnostic-{Environment.ProcessId}-*-socket")) File.Delete(socket);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without the file removed the daemon runs as well; only diagnostic tools cannot attach.
        }
    }
}
