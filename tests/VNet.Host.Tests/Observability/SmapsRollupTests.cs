using VNet.Host.Observability;

namespace VNet.Host.Tests.Observability;

public sealed class SmapsRollupTests
{
    /// <summary>/proc/PID/smaps_rollup of a vnetd with 10 links in a two-host lab (Linux 6.18), as the kernel printed it.</summary>
    private const string Recorded = """
        556a7468f000-7fff25855000 ---p 00000000 00:00 0                          [rollup]
        Rss:              148276 kB
        Pss:               85580 kB
        Pss_Dirty:         70388 kB
        Pss_Anon:          39732 kB
        Pss_File:          15128 kB
        Pss_Shmem:         30720 kB
        Shared_Clean:      77268 kB
        Shared_Dirty:         24 kB
        Private_Clean:       608 kB
        Private_Dirty:     70376 kB
        Referenced:       148276 kB
        Anonymous:         39732 kB
        KSM:                   0 kB
        LazyFree:              0 kB
        AnonHugePages:         0 kB
        ShmemPmdMapped:        0 kB
        FilePmdMapped:         0 kB
        Shared_Hugetlb:        0 kB
        Private_Hugetlb:       0 kB
        Swap:                  0 kB
        SwapPss:               0 kB
        Locked:                0 kB
        """;

    [Fact]
    public void Rollup_gives_resident_proportional_private_and_anonymous_bytes()
    {
        var rollup = SmapsRollup.Parse(Recorded);
        Assert.Equal(148276L * 1024, rollup.Resident);
        Assert.Equal(85580L * 1024, rollup.Proportional);
        Assert.Equal((608L + 70376) * 1024, rollup.Private);
        Assert.Equal(39732L * 1024, rollup.Anonymous);
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
        var e = Assert.Throws<FormatException>(() => SmapsRollup.Parse(Recorded.Replace("Anonymous:         39732 kB", "Anonymous:         lots kB", StringComparison.Ordinal)));
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
