using System.Collections.Immutable;
using VNet.Actors.Negotiation;
using VNet.Messages;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>Links and table helpers shared by the negotiation tests.</summary>
internal static class NegotiationFixtures
{
    public const string HostA = "host-a";
    public const string HostB = "host-b";
    public const string AddressA = "192.0.2.1";
    public const string AddressB = "192.0.2.2";

    /// <summary>The MAC of VM number <paramref name="index"/> on host A (02:aa:…) or B (02:bb:…).</summary>
    public static MacAddress Mac(char host, int index) =>
        new(((ulong)(host == 'a' ? 0x02aa : 0x02bb) << 32) | (uint)index);

    /// <summary>A raw-p2p link from VM a<paramref name="index"/> on host A to VM b<paramref name="index"/> on host B.</summary>
    public static LinkSpec Link(string id = "link-1", int index = 1) =>
        new(id, LinkKind.RawP2P,
            [
                new LinkEndpoint(HostA, $"a{index}", Mac('a', index), AddressA),
                new LinkEndpoint(HostB, $"b{index}", Mac('b', index), AddressB),
            ],
            LinkOptions.Default);

    /// <summary>Marks <paramref name="protocol"/> as used by another link <paramref name="link"/>.</summary>
    public static void Occupy(ProtocolNumberTable table, int protocol, string link)
    {
        var now = DateTime.UtcNow;
        if (!table.TryReserve(protocol, $"setup-{link}", now.AddMinutes(1), now) || !table.Commit(protocol, $"setup-{link}", link, now))
            throw new InvalidOperationException($"protocol {protocol} is not free");
    }

    /// <summary>
    /// Every reservation still in the table, expired or not. Asserting this is empty shows that a
    /// negotiation released what it held, rather than that its reservations merely ran out.
    /// </summary>
    public static ImmutableSortedDictionary<int, string> Leftovers(ProtocolNumberTable table) => table.Reserved(DateTime.MinValue);

    /// <summary>Entries as (number, owner) pairs, for <c>Assert.Equal</c>.</summary>
    public static (int, string)[] Entries(IEnumerable<KeyValuePair<int, string>> entries) =>
        entries.Select(kv => (kv.Key, kv.Value)).ToArray();
}
