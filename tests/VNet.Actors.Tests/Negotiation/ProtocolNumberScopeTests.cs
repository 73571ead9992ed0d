using System.Collections.Immutable;
using VNet.Actors.Negotiation;
using VNet.Messages;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>Scopes of the protocol-number table: unique per peer pair, or host-wide (the paper's rule).</summary>
public sealed class ProtocolNumberScopeTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Expiry = T0 + TimeSpan.FromSeconds(10);
    private const string PeerB = "10.0.0.2";
    private const string PeerC = "10.0.0.3";

    [Fact]
    public void The_same_number_can_be_used_toward_two_peers()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", Expiry, T0, PeerB));
        Assert.True(table.TryReserve(200, "n2", Expiry, T0, PeerC));
        Assert.False(table.TryReserve(200, "n3", Expiry, T0, PeerB));
        Assert.True(table.Commit(200, "n1", "link-b", T0));
        Assert.True(table.Commit(200, "n2", "link-c", T0));

        Assert.Equal("link-b, link-c", table.InUse()[200]);
        Assert.Equal("link-b", table.InUse(PeerB)[200]);
        Assert.Equal(
            new[] { new ProtocolNumberUse(200, PeerB, "link-b", true), new ProtocolNumberUse(200, PeerC, "link-c", true) },
            table.Uses(T0).OrderBy(u => u.Scope));
    }

    [Fact]
    public void A_host_wide_number_is_taken_toward_every_peer_and_a_peer_number_host_wide()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(150, "segment", Expiry, T0));
        Assert.True(table.TryReserve(160, "to-b", Expiry, T0, PeerB));

        Assert.False(table.IsFree(150, T0, PeerB));
        Assert.False(table.IsFree(150, T0, PeerC));
        Assert.False(table.IsFree(160, T0));
        Assert.True(table.IsFree(160, T0, PeerC));
        Assert.False(table.TryReserve(160, "segment-2", Expiry, T0));

        // Once the reservations expire, both are free everywhere again.
        Assert.True(table.IsFree(150, Expiry, PeerB));
        Assert.True(table.IsFree(160, Expiry));
    }

    [Fact]
    public void Exhaustion_toward_one_peer_leaves_the_numbers_free_toward_another()
    {
        var table = new ProtocolNumberTable();
        for (var i = 0; i < table.Size; i++)
            Assert.NotNull(table.ReserveRandomFree(new Random(i), $"n{i}", Expiry, T0, scope: PeerB));

        Assert.Null(table.ReserveRandomFree(new Random(1), "one-too-many", Expiry, T0, scope: PeerB));
        Assert.NotNull(table.ReserveRandomFree(new Random(1), "to-c", Expiry, T0, scope: PeerC));
        Assert.Null(table.ReserveRandomFree(new Random(1), "host-wide", Expiry, T0));
    }

    [Fact]
    public void Release_by_owner_finds_the_number_in_its_scope()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", Expiry, T0, PeerB));
        Assert.True(table.TryReserve(200, "n2", Expiry, T0, PeerC));

        table.Release(200, "n1");

        Assert.True(table.IsFree(200, T0, PeerB));
        Assert.False(table.IsFree(200, T0, PeerC));
        table.Release("n2");
        Assert.True(table.IsFree(200, T0));
    }

    [Fact]
    public void Scope_is_the_peer_address_for_point_to_point_links_under_the_per_peer_rule()
    {
        var mac1 = MacAddress.Parse("02:00:00:00:00:01");
        var mac2 = MacAddress.Parse("02:00:00:00:00:02");
        var p2p = new LinkSpec("l1", LinkKind.RawP2P, [new LinkEndpoint("a", "vm1", mac1, "10.0.0.1"), new LinkEndpoint("b", "vm2", mac2, PeerB)], LinkOptions.Default);
        var segment = p2p with { Kind = LinkKind.RawMultipoint };

        Assert.Equal(PeerB, ProtocolScopes.For(p2p, "a", ProtocolNumberRule.PerPeer));
        Assert.Equal("10.0.0.1", ProtocolScopes.For(p2p, "b", ProtocolNumberRule.PerPeer));
        Assert.Equal(ProtocolNumberTable.HostWide, ProtocolScopes.For(p2p, "a", ProtocolNumberRule.PerHost));
        Assert.Equal(ProtocolNumberTable.HostWide, ProtocolScopes.For(segment, "a", ProtocolNumberRule.PerPeer));
    }

    [Theory]
    [InlineData("per-peer", ProtocolNumberRule.PerPeer)]
    [InlineData("PER-HOST", ProtocolNumberRule.PerHost)]
    public void Rule_names_parse(string text, ProtocolNumberRule expected)
    {
        Assert.True(ProtocolScopes.TryParse(text, out var rule));
        Assert.Equal(expected, rule);
        Assert.False(ProtocolScopes.TryParse("per-link", out _));
    }
}
