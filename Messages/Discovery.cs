using System.Collections.Immutable;

namespace VNet.Messages;

/// <summary>Where a node stands in the cluster, as it tells others in discovery datagrams.</summary>
public enum MemberState
{
    /// <summary>Not in any cluster yet (a fresh node, possibly still bootstrapping).</summary>
    NotMember,
    /// <summary>Joining a cluster (it has chosen its seed, or Akka's join is in progress).</summary>
    Joining,
    /// <summary>An Up member of a cluster: others may join the cluster through it.</summary>
    Up,
    /// <summary>Leaving, exiting or removed.</summary>
    Leaving,
}

/// <summary>Why a discovery search ended.</summary>
public enum SearchEnd
{
    /// <summary>The wanted number of hosts answered.</summary>
    WantReached,
    /// <summary>The query went out with the maximum TTL and the last step's wait is over.</summary>
    TtlMaxReached,
    /// <summary>Whoever started the search cancelled it (or stopped).</summary>
    Cancelled,
}

/// <summary>
/// A host found by a discovery search: its latest answer, the smallest TTL at which it answered
/// (routers between the hosts + 1), and when it first answered.
/// </summary>
public sealed record FoundHost(HostInfo Info, int Ttl, TimeSpan Elapsed, MemberState State)
{
    /// <summary>The seed node the host chose during cluster bootstrap, if it chose one.</summary>
    public string? BootstrapSeed { get; init; }
}

/// <summary>
/// Resource discovery: the expanding-TTL multicast search. The
/// DiscoveryActor (/user/discovery) answers every query with this host's <see cref="HostInfo"/>;
/// a <see cref="Search"/> streams what it finds to whoever asked.
/// </summary>
public static class DiscoveryProtocol
{
    /// <summary>
    /// Start a search. The sender receives <see cref="SearchStarted"/>, then <see cref="QuerySent"/>
    /// for every TTL, <see cref="HostFound"/> for every answer, and one <see cref="SearchFinished"/>.
    /// </summary>
    /// <param name="TtlMax">Largest TTL to try (1-255); null = the configured default.</param>
    /// <param name="Want">Stop as soon as this many other hosts answered; 0 = search up to <paramref name="TtlMax"/>.</param>
    public sealed record Search(int? TtlMax, int Want) : IDiscoveryMessage
    {
        /// <summary>Time between two queries; null = the configured step (2 s).</summary>
        public TimeSpan? Step { get; init; }
    }

    /// <summary>The search runs under this id (also the query id on the wire).</summary>
    public sealed record SearchStarted(Guid SearchId, int TtlMax, int Want, TimeSpan Step) : IDiscoveryMessage;

    /// <summary>A query went out with <see cref="Ttl"/>, <see cref="Elapsed"/> after the start.</summary>
    public sealed record QuerySent(Guid SearchId, int Ttl, TimeSpan Elapsed) : IDiscoveryMessage;

    /// <summary>An answer arrived; <see cref="First"/> is true for the first answer of that host in this search.</summary>
    public sealed record HostFound(Guid SearchId, FoundHost Host, bool First) : IDiscoveryMessage;

    /// <summary>The search ended; <see cref="Hosts"/> holds the latest answer of every host, nearest first.</summary>
    public sealed record SearchFinished(Guid SearchId, ImmutableArray<FoundHost> Hosts, SearchEnd Reason, int LastTtl, TimeSpan Elapsed) : IDiscoveryMessage;

    /// <summary>Stop a running search (its <see cref="SearchFinished"/> says <see cref="SearchEnd.Cancelled"/>).</summary>
    public sealed record CancelSearch(Guid SearchId) : IDiscoveryMessage;

    /// <summary>Ask for the discovery counters.</summary>
    public sealed record GetStats : IDiscoveryMessage
    {
        /// <summary>The single instance.</summary>
        public static GetStats Instance { get; } = new();
    }

    /// <summary>
    /// Discovery counters of this node: datagrams received, valid queries and answers, queries
    /// answered, and what was refused (malformed by reason, rate-limited, unsolicited answers).
    /// </summary>
    public sealed record Stats(string Group, int Port, ImmutableArray<string> Interfaces, long Received, long Queries, long Answers, long AnswersSent,
        long RateLimited, long Unsolicited, ImmutableDictionary<string, long> Malformed) : IDiscoveryMessage
    {
        /// <summary>All malformed datagrams together.</summary>
        public long TotalMalformed => Malformed.Values.Sum();
    }

    /// <summary>A node whose query this node heard (a querier tells who it is and where it stands).</summary>
    public sealed record QueryHeard(string Host, string NodeAddress, MemberState State, string? BootstrapSeed) : IDiscoveryMessage;
}
