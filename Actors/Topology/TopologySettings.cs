namespace VNet.Actors.Topology;

/// <summary>Timing of the TopologyManager (the <c>vnet.topology</c> HOCON section).</summary>
public sealed record TopologySettings
{
    /// <summary>Bounds one link creation (negotiation + data plane start) on the initiating host.</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often the manager checks for links to bring back.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a host that came back must have been announcing before its links are re-made (its pub-sub subscription must spread).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>First wait after a failed re-creation; it doubles up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryMin { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between two re-creation attempts of a link.</summary>
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After the agreement, how long every end has to report its data plane running before the attempt fails.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many links of one <c>net load</c> are created at the same time.</summary>
    public int LoadConcurrency { get; init; } = 8;

    /// <summary>Timeout of an ask to a host (link table, delete, options).</summary>
    public TimeSpan HostAskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Replicate the desired network and the host registry with Akka.DistributedData (needs the cluster provider).</summary>
    public bool Replicate { get; init; } = true;

    /// <summary>Timeout of a majority read or write of the replicated state.</summary>
    public TimeSpan ReplicationTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The wait before re-creation attempt number <paramref name="attempt"/> (1 = first failure).</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var ticks = RetryMin.Ticks * Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        return TimeSpan.FromTicks((long)Math.Min(ticks, RetryMax.Ticks));
    }
}
