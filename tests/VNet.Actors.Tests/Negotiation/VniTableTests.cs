using VNet.Actors.Negotiation;
using VNet.Messages;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>
/// The second number space: VXLAN network identifiers of the kernel kinds, reserved and bounded by
/// the same table and the same OK/NOK rules as IP protocol numbers.
/// </summary>
public sealed class VniTableTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly NegotiationLimits Limits = new(16, Ttl, TimeSpan.FromSeconds(10));

    [Fact]
    public void The_vni_table_covers_the_kernel_block_and_nothing_else()
    {
        var table = ProtocolNumberTable.Vnis();
        Assert.Equal((LinkSpec.FirstVni, LinkSpec.LastVni, 1000), (table.First, table.Last, table.Size));
        Assert.Equal("VXLAN network identifier", table.What);
        Assert.False(table.IsFree(LinkSpec.FirstVni - 1, T0));
        Assert.True(table.IsFree(LinkSpec.FirstVni, T0));
        Assert.False(table.IsFree(LinkSpec.LastVni + 1, T0));
    }

    [Fact]
    public void A_range_beyond_24_bits_or_too_large_to_pick_from_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ProtocolNumberTable.Vnis(1, 1 << 24));
        Assert.Throws<ArgumentException>(() => ProtocolNumberTable.Vnis(1, 100_000));
        Assert.Throws<ArgumentException>(() => new ProtocolNumberTable(143, 300));
    }

    [Fact]
    public void A_vni_taken_at_the_responder_is_answered_nok_with_a_free_one_and_both_agree_on_it()
    {
        var here = ProtocolNumberTable.Vnis(8000, 8003);
        var there = ProtocolNumberTable.Vnis(8000, 8003);
        var initiator = new InitiatorCore(here, new Random(1), "n1", "k1", ["h2"], Limits);
        var responder = new ResponderCore(there, new Random(2), "n1", "k1", Limits);
        var proposed = Assert.IsType<Decision.Propose>(initiator.Start(T0));
        Assert.True(there.TryReserve(proposed.Protocol, "other", T0 + Ttl, T0)); // taken there by another negotiation
        var nok = Assert.IsType<Decision.Nok>(responder.OnPropose(proposed.Protocol, T0));
        var again = Assert.IsType<Decision.Propose>(initiator.OnNok("h2", nok.CounterProposal, 1, T0));
        Assert.Equal(nok.CounterProposal, again.Protocol);
        var ok = Assert.IsType<Decision.Ok>(responder.OnPropose(again.Protocol, T0));
        Assert.Equal(again.Protocol, Assert.IsType<Decision.Agreed>(initiator.OnOk("h2", ok.Protocol, 2, T0)).Protocol);
        Assert.Equal("k1", here.InUse()[again.Protocol]);
    }

    [Fact]
    public void An_exhausted_vni_table_fails_with_an_error_that_names_vnis_not_protocol_numbers()
    {
        var table = ProtocolNumberTable.Vnis(8000, 8000);
        Assert.True(table.TryReserve(8000, "other", T0 + Ttl, T0));
        var fail = Assert.IsType<Decision.Fail>(new InitiatorCore(table, new Random(1), "n1", "k1", ["h2"], Limits).Start(T0));
        Assert.Contains("no free VXLAN network identifier on this host", fail.Reason);
        Assert.DoesNotContain("protocol", fail.Reason);
    }

    [Fact]
    public void The_negotiated_number_goes_into_the_vni_for_kernel_kinds_and_the_protocol_otherwise()
    {
        var end = new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.11");
        var kernel = new LinkSpec("k1", LinkKind.KernelP2P, [end], LinkOptions.Default).WithNegotiated(8123);
        Assert.Equal((8123, 0, 8123), (kernel.Vni, kernel.Protocol, kernel.Negotiated));
        var raw = new LinkSpec("r1", LinkKind.RawP2P, [end], LinkOptions.Default).WithNegotiated(200);
        Assert.Equal((0, 200, 200), (raw.Vni, raw.Protocol, raw.Negotiated));
        Assert.Contains(kernel with { Vni = 42 } is var bad ? bad.Problems() : [], p => p.Contains("VXLAN network identifier 42 is out of range 8000-8999"));
    }
}
