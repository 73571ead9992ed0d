using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Actors.Negotiation;

/// <summary>
/// The IP protocol numbers of one host: each number in 143–252 is used by at most
/// one link; numbers under negotiation are reserved until an expiry so that two concurrent
/// negotiations cannot take the same one. Pure state with a lock (the host's negotiations run
/// in parallel); time is passed in, never read.
/// </summary>
public sealed class ProtocolNumberTable
{
    private readonly record struct Entry(string Owner, bool Committed, DateTime ExpiresAt);

    private readonly Dictionary<int, Entry> _entries = new();
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

    /// <summary>True when <paramref name="protocol"/> is in range and neither used nor reserved at <paramref name="now"/>.</summary>
    public bool IsFree(int protocol, DateTime now)
    {
        lock (_lock) return IsFreeLocked(protocol, now);
    }

    private bool IsFreeLocked(int protocol, DateTime now)
    {
        if (protocol < First || protocol > Last) return false;
        if (!_entries.TryGetValue(protocol, out var e)) return true;
        if (e.Committed || e.ExpiresAt > now) return false;
        _entries.Remove(protocol);
        return true;
    }

    /// <summary>Reserves <paramref name="protocol"/> for <paramref name="owner"/> until <paramref name="expiresAt"/>; false when not free (a reservation by the same owner is renewed).</summary>
    public bool TryReserve(int protocol, string owner, DateTime expiresAt, DateTime now)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(protocol, out var e) && e.Owner == owner && !e.Committed)
            {
                _entries[protocol] = e with { ExpiresAt = expiresAt };
                return true;
            }
            if (!IsFreeLocked(protocol, now)) return false;
            _entries[protocol] = new Entry(owner, false, expiresAt);
            return true;
        }
    }

    /// <summary>
    /// Reserves a number chosen uniformly at random among the free ones that are not in
    /// <paramref name="exclude"/>; null when there is none.
    /// </summary>
    public int? ReserveRandomFree(Random random, string owner, DateTime expiresAt, DateTime now, IReadOnlySet<int>? exclude = null)
    {
        lock (_lock)
        {
            Span<int> free = stackalloc int[Size];
            var count = 0;
            for (var p = First; p <= Last; p++)
                if (IsFreeLocked(p, now) && (exclude is null || !exclude.Contains(p))) free[count++] = p;
            if (count == 0) return null;
            var chosen = free[random.Next(count)];
            _entries[chosen] = new Entry(owner, false, expiresAt);
            return chosen;
        }
    }

    /// <summary>Turns the reservation of <paramref name="protocol"/> by <paramref name="owner"/> into a permanent use by <paramref name="linkId"/>; false when the reservation is gone.</summary>
    public bool Commit(int protocol, string owner, string linkId, DateTime now)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(protocol, out var e) || e.Owner != owner || e.Committed) return false;
            if (e.ExpiresAt <= now) { _entries.Remove(protocol); return false; }
            _entries[protocol] = new Entry(linkId, true, DateTime.MaxValue);
            return true;
        }
    }

    /// <summary>Releases every number (reserved or used) held by <paramref name="owner"/>.</summary>
    public void Release(string owner)
    {
        lock (_lock)
            foreach (var p in _entries.Where(kv => kv.Value.Owner == owner).Select(kv => kv.Key).ToList())
                _entries.Remove(p);
    }

    /// <summary>Releases <paramref name="protocol"/> if <paramref name="owner"/> holds it.</summary>
    public void Release(int protocol, string owner)
    {
        lock (_lock)
            if (_entries.TryGetValue(protocol, out var e) && e.Owner == owner) _entries.Remove(protocol);
    }

    /// <summary>Numbers in use by links (committed), with the link id.</summary>
    public ImmutableSortedDictionary<int, string> InUse()
    {
        lock (_lock) return _entries.Where(kv => kv.Value.Committed).ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.Owner);
    }

    /// <summary>Numbers reserved by negotiations and not yet expired at <paramref name="now"/>.</summary>
    public ImmutableSortedDictionary<int, string> Reserved(DateTime now)
    {
        lock (_lock) return _entries.Where(kv => !kv.Value.Committed && kv.Value.ExpiresAt > now).ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.Owner);
    }
}
