using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Actors.Negotiation;

/// <summary>
/// The IP protocol numbers of one host. Each number in 143–252 is used at most once per
/// <em>scope</em>: a scope is a peer's substrate address (a point-to-point link under the per-peer
/// rule, whose connected raw socket the kernel matches on both protocol and peer address), or
/// <see cref="HostWide"/> (the paper's rule, and every multipoint segment, whose unconnected socket
/// sees every packet of its number). A host-wide use excludes the number from every peer scope, and
/// a number used toward any peer cannot be taken host-wide. Numbers under negotiation are reserved
/// until an expiry so that two concurrent negotiations cannot take the same one. Pure state with a
/// lock (the host's negotiations run in parallel); time is passed in, never read.
/// </summary>
public sealed class ProtocolNumberTable
{
    /// <summary>The scope of a number used by the whole host (the paper's per-host rule).</summary>
    public const string HostWide = "";

    private readonly record struct Entry(string Owner, bool Committed, DateTime ExpiresAt);

    /// <summary>Per number, its holders by scope (at most one holder when the scope is <see cref="HostWide"/>).</summary>
    private readonly Dictionary<string, Entry>[] _byNumber;
    private readonly object _lock = new();

    /// <summary>
    /// Creates a table over <paramref name="first"/>..<paramref name="last"/> (default: the unassigned
    /// protocol range); <paramref name="what"/> names the numbers in errors.
    /// </summary>
    public ProtocolNumberTable(int first = LinkSpec.FirstProtocol, int last = LinkSpec.LastProtocol, string what = "protocol number")
    {
        var max = what == ProtocolNumber ? 255 : MaxVni;
        if (first < 0 || last > max || first > last || last - first >= MaxSize) throw new ArgumentException($"bad {what} range {first}-{last}");
        First = first;
        Last = last;
        What = what;
        _byNumber = new Dictionary<string, Entry>[last - first + 1];
        for (var i = 0; i < _byNumber.Length; i++) _byNumber[i] = new Dictionary<string, Entry>(StringComparer.Ordinal);
    }

    /// <summary>
    /// The table of VXLAN network identifiers of the kernel link kinds: a second number space with the
    /// same rules (a VNI is used at most once per host: the kernel refuses two VXLAN devices with the
    /// same VNI on one UDP port).
    /// </summary>
    public static ProtocolNumberTable Vnis(int first = LinkSpec.FirstVni, int last = LinkSpec.LastVni) => new(first, last, "VXLAN network identifier");

    private const string ProtocolNumber = "protocol number";
    private const int MaxVni = (1 << 24) - 1;
    private const int MaxSize = 4096; // a free number is picked from a stack-allocated list

    /// <summary>What the numbers are, for errors: "protocol number" or "VXLAN network identifier".</summary>
    public string What { get; }

    /// <summary>Lowest usable number.</summary>
    public int First { get; }

    /// <summary>Highest usable number.</summary>
    public int Last { get; }

    /// <summary>How many numbers the range holds.</summary>
    public int Size => Last - First + 1;

    /// <summary>
    /// True when <paramref name="protocol"/> is in range and neither used nor reserved in
    /// <paramref name="scope"/> at <paramref name="now"/> (for <see cref="HostWide"/>: in no scope at all).
    /// </summary>
    public bool IsFree(int protocol, DateTime now, string scope = HostWide)
    {
        lock (_lock) return IsFreeLocked(protocol, now, scope);
    }

    private bool IsFreeLocked(int protocol, DateTime now, string scope)
    {
        if (protocol < First || protocol > Last) return false;
        var holders = _byNumber[protocol - First];
        if (holders.Count == 0) return true;
        Expire(holders, now);
        if (holders.Count == 0) return true;
        if (scope == HostWide || holders.ContainsKey(HostWide)) return false;
        return !holders.ContainsKey(scope);
    }

    private static void Expire(Dictionary<string, Entry> holders, DateTime now)
    {
        foreach (var (scope, e) in holders)
            if (!e.Committed && e.ExpiresAt <= now) holders.Remove(scope); // removing while enumerating is allowed for Dictionary
    }

    /// <summary>
    /// Reserves <paramref name="protocol"/> in <paramref name="scope"/> for <paramref name="owner"/> until
    /// <paramref name="expiresAt"/>; false when not free (a reservation by the same owner is renewed).
    /// </summary>
    public bool TryReserve(int protocol, string owner, DateTime expiresAt, DateTime now, string scope = HostWide)
    {
        lock (_lock)
        {
            if (protocol >= First && protocol <= Last && _byNumber[protocol - First].TryGetValue(scope, out var e) && e.Owner == owner && !e.Committed)
            {
                _byNumber[protocol - First][scope] = e with { ExpiresAt = expiresAt };
                return true;
            }
            if (!IsFreeLocked(protocol, now, scope)) return false;
            _byNumber[protocol - First][scope] = new Entry(owner, false, expiresAt);
            return true;
        }
    }

    /// <summary>
    /// Reserves, in <paramref name="scope"/>, a number chosen uniformly at random among the free ones
    /// that are not in <paramref name="exclude"/>; null when there is none.
    /// </summary>
    public int? ReserveRandomFree(Random random, string owner, DateTime expiresAt, DateTime now, IReadOnlySet<int>? exclude = null, string scope = HostWide)
    {
        lock (_lock)
        {
            Span<int> free = stackalloc int[Size];
            var count = 0;
            for (var p = First; p <= Last; p++)
                if (IsFreeLocked(p, now, scope) && (exclude is null || !exclude.Contains(p))) free[count++] = p;
            if (count == 0) return null;
            var chosen = free[random.Next(count)];
            _byNumber[chosen - First][scope] = new Entry(owner, false, expiresAt);
            return chosen;
        }
    }

    /// <summary>Turns the reservation of <paramref name="protocol"/> by <paramref name="owner"/> into a permanent use by <paramref name="linkId"/>; false when the reservation is gone.</summary>
    public bool Commit(int protocol, string owner, string linkId, DateTime now)
    {
        lock (_lock)
        {
            if (protocol < First || protocol > Last) return false;
            var holders = _byNumber[protocol - First];
            foreach (var (scope, e) in holders)
            {
                if (e.Owner != owner || e.Committed) continue;
                if (e.ExpiresAt <= now) { holders.Remove(scope); return false; }
                holders[scope] = new Entry(linkId, true, DateTime.MaxValue);
                return true;
            }
            return false;
        }
    }

    /// <summary>Releases every number (reserved or used, in any scope) held by <paramref name="owner"/>.</summary>
    public void Release(string owner)
    {
        lock (_lock)
            foreach (var holders in _byNumber)
                foreach (var (scope, e) in holders)
                    if (e.Owner == owner) holders.Remove(scope);
    }

    /// <summary>Releases <paramref name="protocol"/> if <paramref name="owner"/> holds it (in any scope).</summary>
    public void Release(int protocol, string owner)
    {
        if (protocol < First || protocol > Last) return;
        lock (_lock)
            foreach (var (scope, e) in _byNumber[protocol - First])
                if (e.Owner == owner) _byNumber[protocol - First].Remove(scope);
    }

    /// <summary>
    /// Numbers in use by links (committed), with the link id. Without <paramref name="scope"/>: every
    /// number in use in any scope (a number used toward several peers lists its links, ordered by
    /// peer, joined by ", "); with one: the numbers that scope sees (its own and the host-wide ones).
    /// </summary>
    public ImmutableSortedDictionary<int, string> InUse(string? scope = null) =>
        Visible(scope, e => e.Committed);

    /// <summary>Numbers reserved by negotiations and not yet expired at <paramref name="now"/>, with the negotiation, as <see cref="InUse"/> lists them.</summary>
    public ImmutableSortedDictionary<int, string> Reserved(DateTime now, string? scope = null) =>
        Visible(scope, e => !e.Committed && e.ExpiresAt > now);

    /// <summary>Every number held, in every scope: what a check of the whole table reads.</summary>
    public ImmutableArray<ProtocolNumberUse> Uses(DateTime now)
    {
        lock (_lock)
        {
            var uses = ImmutableArray.CreateBuilder<ProtocolNumberUse>();
            for (var i = 0; i < _byNumber.Length; i++)
                foreach (var (scope, e) in _byNumber[i])
                    if (e.Committed || e.ExpiresAt > now) uses.Add(new ProtocolNumberUse(First + i, scope, e.Owner, e.Committed));
            return uses.ToImmutable();
        }
    }

    private ImmutableSortedDictionary<int, string> Visible(string? scope, Func<Entry, bool> wanted)
    {
        lock (_lock)
        {
            var seen = ImmutableSortedDictionary.CreateBuilder<int, string>();
            for (var i = 0; i < _byNumber.Length; i++)
            {
                var owners = _byNumber[i]
                    .Where(kv => (scope is null || kv.Key == HostWide || kv.Key == scope) && wanted(kv.Value))
                    .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => kv.Value.Owner)
                    .ToList();
                if (owners.Count > 0) seen[First + i] = string.Join(", ", owners);
            }
            return seen.ToImmutable();
        }
    }
}

/// <summary>One held number: <paramref name="Scope"/> is the peer address it is unique toward, or empty for the whole host; <paramref name="Owner"/> the link (committed) or negotiation (reserved).</summary>
public sealed record ProtocolNumberUse(int Protocol, string Scope, string Owner, bool Committed);
