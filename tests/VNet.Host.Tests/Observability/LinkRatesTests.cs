using System.Collections.Immutable;
using VNet.Host.Observability;

namespace VNet.Host.Tests.Observability;

public sealed class LinkRatesTests
{
    private static TopologyView View(long ms, long sent, long received, long drops = 0) =>
        new("h1", ms, [], [new LinkView("l1", "raw-p2p", "established", null, 7, new("none", 0, 0, 0, 0, 0, true, false, false),
            [new EndView("h1", "vm1", "02:00:00:00:01:01", "established",
                new DirectionView(0, sent, 0, 0, 0, drops, ImmutableDictionary<string, long>.Empty), new DirectionView(0, received, 0, 0, 0, 0, ImmutableDictionary<string, long>.Empty))])], null);

    [Fact]
    public void Rates_are_the_byte_counters_change_in_bits_per_second()
    {
        var rows = LinkRates.Between(View(1000, 1_000, 0), View(3000, 251_000, 50_000, drops: 4));
        var r = Assert.Single(rows);
        Assert.Equal("vm1@h1", r.End);
        Assert.Equal(1_000_000, r.VmToNetBitsPerSecond);
        Assert.Equal(200_000, r.NetToVmBitsPerSecond);
        Assert.Equal(2, r.DropsPerSecond);
        Assert.Equal(4, r.Drops);
    }

    [Fact]
    public void The_first_reading_and_a_restarted_counter_give_no_negative_rate()
    {
        Assert.Equal(0, LinkRates.Between(null, View(1000, 5000, 0)).Single().VmToNetBitsPerSecond);
        Assert.Equal(800, LinkRates.Between(View(1000, 5000, 0), View(2000, 100, 0)).Single().VmToNetBitsPerSecond);
    }

    [Fact]
    public void Rates_read_for_people()
    {
        Assert.Equal("0 bit/s", LinkRates.Format(0));
        Assert.Equal("12.5 Mbit/s", LinkRates.Format(12_500_000));
        Assert.Equal("1.2 Gbit/s", LinkRates.Format(1_200_000_000));
    }
}
