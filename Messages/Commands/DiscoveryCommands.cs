using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="SearchHosts"/>.</summary>
public interface ISearchHostsReply : ICommandReply;

/// <summary>Replies to <see cref="GetDiscoveryStats"/>.</summary>
public interface IGetDiscoveryStatsReply : ICommandReply;

/// <summary>What a running search reports as it goes.</summary>
public interface ISearchProgress : ICommandItem;

/// <summary>
/// <c>discover search</c>: the expanding-TTL multicast search from the node: TTL 1, then TTL+1 every
/// step, until <paramref name="Want"/> other hosts answered (0 = search up to the maximum TTL).
/// </summary>
/// <param name="TtlMax">Largest TTL to try (1-255); null = the node's vnet.discovery.ttl-max.</param>
/// <param name="Want">Stop as soon as this many other hosts answered.</param>
/// <param name="StepSeconds">Seconds between queries; null = the node's vnet.discovery.step.</param>
public sealed record SearchHosts(int? TtlMax, int Want, double? StepSeconds) : IStreamRequest<ISearchProgress, ISearchHostsReply>;

/// <summary>The search started.</summary>
public sealed record SearchBegan(string Node, int TtlMax, int Want, double StepSeconds, HostInfo? Self) : ISearchProgress;

/// <summary>A query went out.</summary>
public sealed record QueryWent(int Ttl, double ElapsedSeconds) : ISearchProgress;

/// <summary>A host answered for the first time in this search.</summary>
public sealed record HostAnswered(FoundEntry Host) : ISearchProgress;

/// <summary>A host found by a search.</summary>
/// <param name="Info">What it told about itself.</param>
/// <param name="Ttl">The TTL of the query it answered first.</param>
/// <param name="ElapsedSeconds">Seconds from the start of the search to its first answer.</param>
/// <param name="State">Its membership, as it said (not-member, joining, up, leaving).</param>
public sealed record FoundEntry(HostInfo Info, int Ttl, double ElapsedSeconds, MemberState State);

/// <summary>The search is over.</summary>
/// <param name="Reason">Why it ended.</param>
/// <param name="LastTtl">The TTL of the last query.</param>
/// <param name="ElapsedSeconds">How long it ran.</param>
/// <param name="Queries">The TTL and time of every query.</param>
/// <param name="Self">The node's own host, or null when it did not answer in time.</param>
/// <param name="Hosts">Every other host found.</param>
public sealed record SearchDone(SearchEnd Reason, int LastTtl, double ElapsedSeconds, ImmutableArray<QueryWent> Queries, HostInfo? Self, ImmutableArray<FoundEntry> Hosts) : ISearchHostsReply;

/// <summary>The discovery actor refused the search (a bad TTL) or did not finish it.</summary>
public sealed record SearchRefused(ImmutableArray<string> Problems) : ISearchHostsReply, IRejection;

/// <summary><c>discover stats</c>: the discovery counters of the node.</summary>
public sealed record GetDiscoveryStats : IRequest<IGetDiscoveryStatsReply>
{
    /// <summary>The single instance.</summary>
    public static GetDiscoveryStats Instance { get; } = new();
}

/// <summary>The counters: datagrams received, answered, refused.</summary>
public sealed record DiscoveryCounters(string Node, string Group, int Port, ImmutableArray<string> Interfaces, long Received, long Queries, long Answers,
    long AnswersSent, long RateLimited, long Unsolicited, ImmutableDictionary<string, long> Malformed) : IGetDiscoveryStatsReply;
