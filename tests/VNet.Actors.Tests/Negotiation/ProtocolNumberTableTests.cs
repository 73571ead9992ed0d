using VNet.Actors.Negotiation;
using VNet.Messages;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>The per-host table of IP protocol numbers, with explicit times: no clock is read.</summary>
public sealed class ProtocolNumberTableTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    [Fact]
    public void Default_range_is_the_110_unassigned_numbers_143_to_252()
    {
        var table = new ProtocolNumberTable();

        Assert.Equal(143, table.First);
        Assert.Equal(252, table.Last);
        Assert.Equal(110, table.Size);
        Assert.False(table.IsFree(142, T0));
        Assert.True(table.IsFree(143, T0));
        Assert.True(table.IsFree(252, T0));
        Assert.False(table.IsFree(253, T0));
    }

    [Fact]
    public void Reserved_number_is_taken_until_its_expiry_and_free_again_after()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl, T0));

        Assert.False(table.IsFree(200, T0 + TimeSpan.FromSeconds(9)));
        Assert.False(table.TryReserve(200, "n2", T0 + Ttl + Ttl, T0 + TimeSpan.FromSeconds(9)));
        Assert.Equal(new[] { 200 }, table.Reserved(T0 + TimeSpan.FromSeconds(9)).Keys);

        Assert.True(table.IsFree(200, T0 + Ttl));
        Assert.Empty(table.Reserved(T0 + Ttl));
        Assert.True(table.TryReserve(200, "n2", T0 + Ttl + Ttl, T0 + Ttl));
        Assert.Equal("n2", table.Reserved(T0 + Ttl)[200]);
    }

    [Fact]
    public void Reservation_by_the_same_owner_is_renewed()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl, T0));
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl + Ttl, T0 + TimeSpan.FromSeconds(5)));

        Assert.False(table.IsFree(200, T0 + TimeSpan.FromSeconds(15)));
        Assert.True(table.IsFree(200, T0 + Ttl + Ttl));
    }

    [Fact]
    public void Committed_number_stays_in_use_after_the_reservation_expiry()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl, T0));
        Assert.True(table.Commit(200, "n1", "link-1", T0 + TimeSpan.FromSeconds(1)));

        var muchLater = T0 + TimeSpan.FromDays(365);
        Assert.False(table.IsFree(200, muchLater));
        Assert.False(table.TryReserve(200, "n2", muchLater + Ttl, muchLater));
        Assert.Null(table.ReserveRandomFree(new Random(1), "n3", muchLater + Ttl, muchLater, Enumerable.Range(143, 110).Where(p => p != 200).ToHashSet()));
        Assert.Equal(new[] { (200, "link-1") }, NegotiationFixtures.Entries(table.InUse()));
        Assert.Empty(table.Reserved(muchLater));
    }

    [Fact]
    public void Commit_fails_once_the_reservation_has_expired_and_leaves_the_number_free()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl, T0));

        Assert.False(table.Commit(200, "n1", "link-1", T0 + Ttl));
        Assert.Empty(table.InUse());
        Assert.True(table.IsFree(200, T0 + Ttl));
    }

    [Fact]
    public void Commit_by_another_owner_than_the_reserving_one_fails()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(200, "n1", T0 + Ttl, T0));

        Assert.False(table.Commit(200, "n2", "link-2", T0));
        Assert.Empty(table.InUse());
        Assert.Equal("n1", table.Reserved(T0)[200]);
    }

    [Fact]
    public void Release_by_owner_frees_every_number_it_holds_and_nothing_else()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(150, "n1", T0 + Ttl, T0));
        Assert.True(table.TryReserve(160, "n1", T0 + Ttl, T0));
        Assert.True(table.TryReserve(170, "n2", T0 + Ttl, T0));

        table.Release("n1");

        Assert.True(table.IsFree(150, T0));
        Assert.True(table.IsFree(160, T0));
        Assert.False(table.IsFree(170, T0));
        Assert.Equal(new[] { (170, "n2") }, NegotiationFixtures.Entries(table.Reserved(T0)));
    }

    [Fact]
    public void Release_of_a_link_id_frees_its_committed_number()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(150, "n1", T0 + Ttl, T0));
        Assert.True(table.Commit(150, "n1", "link-1", T0));

        table.Release("n1"); // the negotiation no longer owns it: the link does
        Assert.Equal(new[] { (150, "link-1") }, NegotiationFixtures.Entries(table.InUse()));

        table.Release("link-1");
        Assert.Empty(table.InUse());
        Assert.True(table.IsFree(150, T0));
    }

    [Fact]
    public void Release_of_one_number_by_a_non_owner_does_nothing()
    {
        var table = new ProtocolNumberTable();
        Assert.True(table.TryReserve(150, "n1", T0 + Ttl, T0));

        table.Release(150, "n2");
        Assert.False(table.IsFree(150, T0));

        table.Release(150, "n1");
        Assert.True(table.IsFree(150, T0));
    }

    [Fact]
    public void Random_reservation_takes_only_free_numbers_outside_the_exclusions()
    {
        var table = new ProtocolNumberTable();
        for (var p = 143; p <= 252; p++)
            if (p != 180 && p != 190) Assert.True(table.TryReserve(p, "other", T0 + Ttl, T0));

        var chosen = table.ReserveRandomFree(new Random(7), "n1", T0 + Ttl, T0, new HashSet<int> { 180 });

        Assert.Equal(190, chosen);
        Assert.Equal("n1", table.Reserved(T0)[190]);
        Assert.True(table.IsFree(180, T0));
    }

    [Fact]
    public void Random_reservation_returns_null_when_every_number_is_taken()
    {
        var table = new ProtocolNumberTable();
        var random = new Random(3);
        var chosen = new HashSet<int>();
        for (var i = 0; i < 110; i++)
            Assert.True(chosen.Add(table.ReserveRandomFree(random, $"n{i}", T0 + Ttl, T0)!.Value));

        Assert.Null(table.ReserveRandomFree(random, "one-too-many", T0 + Ttl, T0));
        Assert.Equal(Enumerable.Range(LinkSpec.FirstProtocol, 110), chosen.Order());
        Assert.DoesNotContain("one-too-many", table.Reserved(T0).Values);
    }

    [Fact]
    public void Random_reservation_with_the_same_seed_picks_the_same_number()
    {
        var a = new ProtocolNumberTable().ReserveRandomFree(new Random(42), "n", T0 + Ttl, T0);
        var b = new ProtocolNumberTable().ReserveRandomFree(new Random(42), "n", T0 + Ttl, T0);

        Assert.NotNull(a);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(10, 256)]
    [InlineData(20, 10)]
    public void Bad_range_is_rejected(int first, int last) =>
        Assert.Throws<ArgumentException>(() => new ProtocolNumberTable(first, last));
}
