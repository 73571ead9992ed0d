using VNet.Bench.Lab;

namespace VNet.Bench.Contenders;

/// <summary>What kind of thing a contender is; decides how its CPU is accounted and what it is compared with.</summary>
public enum ContenderFamily
{
    /// <summary>The substrate itself, host to host: the ceiling.</summary>
    Substrate,
    /// <summary>A kernel tunnel (VXLAN): no process of its own.</summary>
    Kernel,
    /// <summary>A rival userspace tunnel (tinc, OpenVPN).</summary>
    Rival,
    /// <summary>A VNet link kind.</summary>
    Vnet,
}

/// <summary>A contender that cannot be measured; the reason goes into the report instead of its numbers.</summary>
public sealed class ContenderUnavailableException(string reason) : Exception(reason);

/// <summary>A process whose CPU time and memory count as the tunnel's own.</summary>
public sealed record TunnelProcess(string Name, int Pid);

/// <summary>
/// One way of joining vm1 and vm2 (or, for the substrate, h1 and h2). The benchmark sets it up on
/// the shared lab, measures it and tears it down again before the next one.
/// </summary>
public abstract class Contender
{
    /// <summary>Short name used in tables and plots: "tinc", "raw-p2p+lz4".</summary>
    public abstract string Name { get; }

    /// <summary>What kind of contender this is.</summary>
    public abstract ContenderFamily Family { get; }

    /// <summary>One line on how it is configured.</summary>
    public abstract string Description { get; }

    /// <summary>True when traffic goes VM to VM; false for the substrate (host to host).</summary>
    public virtual bool BetweenVms => true;

    /// <summary>Rough seconds set-up plus tear-down take (for the ETA).</summary>
    public virtual double SetupSeconds => 3;

    /// <summary>Things worth knowing about this run of the contender (versions, MTUs, warnings).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The tunnel's own processes (empty for kernel tunnels and the substrate).</summary>
    public virtual IReadOnlyList<TunnelProcess> Processes => [];

    /// <summary>Builds the contender on the lab; throws <see cref="ContenderUnavailableException"/> when it cannot be built.</summary>
    public abstract Task SetUpAsync(BenchLab lab, CancellationToken cancel);

    /// <summary>Removes everything <see cref="SetUpAsync"/> made (also after a partial set-up); must not throw on missing pieces.</summary>
    public abstract Task TearDownAsync(BenchLab lab);

    /// <summary>The contender's own counters (VNet: link stats), read before and after each test.</summary>
    public virtual Task<Dictionary<string, long>> ReadCountersAsync(BenchLab lab, CancellationToken cancel) => Task.FromResult(new Dictionary<string, long>());

    /// <summary>Called after the round-trip pings, with a compressible ping burst sent just before.</summary>
    public virtual Task AfterCompressibleBurstAsync(BenchLab lab, Dictionary<string, long> before, Dictionary<string, long> after, CancellationToken cancel) => Task.CompletedTask;
}
