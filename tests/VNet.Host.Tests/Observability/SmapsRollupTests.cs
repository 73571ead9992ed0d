using VNet.Host.Observability;

namespace VNet.Host.Tests.Observability;

public sealed class SmapsRollupTests
{
    /// <summary>/proc/PID/smaps_rollup of a vnetd with 10 links (Linux 6.18), as the kernel prints it.</summary>
    private const string Recorded = """
        5604f61f9000-7ffeb53b8000 ---p 00000000 00:00 0                          [rollup]
        Rss:              171520 kB
        Pss:              117146 kB
        Pss_Dirty:         98938 kB
        Pss_Anon:          70348 kB
        Pss_File:          18186 kB
        Pss_Shmem:         28612 kB
        Shared_Clean:      72344 kB
        Shared_Dirty:          0 kB
        Private_Clean:       164 kB
        Private_Dirty:     99012 kB
        Referenced:       171520 kB
        Anonymous:         70348 kB
        KSM:                   0 kB
        LazyFree:              0 kB
        AnonHugePages:         0 kB
        Swap:                  0 kB
        SwapPss:               0 kB
        Locked:                0 kB
        """;

    [Fact]
    public void Rollup_gives_resident_proportional_private_and_anonymous_bytes()
    {
        var rollup = SmapsRollup.Parse(Recorded);
        Assert.Equal(171520L * 1024, rollup.Resident);
        Assert.Equal(117146L * 1024, rollup.Proportional);
        Assert.Equal((164L + 99012) * 1024, rollup.Private);
        Assert.Equal(70348L * 1024, rollup.Anonymous);
    }

    [Fact]
    public void A_rollup_without_a_needed_line_is_refused_naming_the_line()
    {
        var text = Recorded.Replace("Private_Dirty:", "Private_Dirtx:", StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => SmapsRollup.Parse(text));
        Assert.Contains("Private_Dirty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_that_is_not_a_size_in_kB_does_not_count_as_the_line()
    {
        var e = Assert.Throws<FormatException>(() => SmapsRollup.Parse(Recorded.Replace("Anonymous:         70348 kB", "Anonymous:         lots kB", StringComparison.Ordinal)));
        Assert.Contains("Anonymous", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rollup_of_this_process_has_private_pages_within_its_resident_ones()
    {
        var self = SmapsRollup.ReadSelf();
        Assert.NotNull(self);
        Assert.InRange(self.Private, 1, self.Resident);
        Assert.InRange(self.Proportional, self.Private, self.Resident);
    }
}
