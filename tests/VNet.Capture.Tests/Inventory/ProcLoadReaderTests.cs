using VNet.Capture.Inventory;

namespace VNet.Capture.Tests.Inventory;

public class ProcLoadReaderTests
{
    private const string MemInfo = """
        MemTotal:       24684092 kB
        MemFree:        23352940 kB
        MemAvailable:    2097152 kB
        Buffers:           43980 kB
        Cached:          1082680 kB
        """;

    private const string CpuInfoX86 = """
        processor	: 0
        vendor_id	: GenuineIntel
        model name	: Intel(R) Xeon(R) CPU
        cpu MHz		: 2100.000
        cache size	: 16384 KB

        processor	: 1
        vendor_id	: GenuineIntel
        cpu MHz		: 2300.000
        cpu family	: 6

        """;

    private const string CpuInfoArm = """
        processor	: 0
        BogoMIPS	: 48.00
        Features	: fp asimd evtstrm
        CPU implementer	: 0x41

        """;

    // Two CPUs; aggregate: total 1000 ticks, idle+iowait 800.
    private const string StatAtBoot = """
        cpu  100 0 100 700 100 0 0 0 0 0
        cpu0 50 0 50 350 50 0 0 0 0 0
        cpu1 50 0 50 350 50 0 0 0 0 0
        intr 12345 0 0
        ctxt 4242
        """;

    // 1000 ticks later, 600 of them idle+iowait: 40 % busy over the interval.
    private const string StatLater = """
        cpu  400 0 200 1200 200 0 0 0 0 0
        cpu0 200 0 100 600 100 0 0 0 0 0
        cpu1 200 0 100 600 100 0 0 0 0 0
        """;

    [Fact]
    public void MemAvailable_is_free_ram_in_mebibytes()
    {
        Assert.Equal(2048.0, ProcLoadParser.ParseFreeRamMiB(MemInfo));
    }

    [Fact]
    public void Old_kernels_without_MemAvailable_use_free_plus_buffers_plus_cached()
    {
        const string old = "MemTotal: 4096 kB\nMemFree: 1024 kB\nBuffers: 512 kB\nCached: 512 kB\n";
        Assert.Equal(2.0, ProcLoadParser.ParseFreeRamMiB(old));
    }

    [Fact]
    public void Meminfo_without_free_memory_fields_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => ProcLoadParser.ParseFreeRamMiB("MemTotal: 4096 kB\n"));
    }

    [Fact]
    public void Cpu_frequency_is_the_mean_of_the_cpu_MHz_lines()
    {
        Assert.Equal(2200.0, ProcLoadParser.ParseCpuInfoMHz(CpuInfoX86));
        Assert.Null(ProcLoadParser.ParseCpuInfoMHz(CpuInfoArm));
    }

    [Theory]
    [InlineData("3400000\n", 3400.0)]
    [InlineData("1800000", 1800.0)]
    public void Cpufreq_files_hold_kilohertz(string text, double mhz)
    {
        Assert.Equal(mhz, ProcLoadParser.ParseCpuFreqKHz(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<unknown>\n")]
    [InlineData("0\n")]
    public void Unusable_cpufreq_text_gives_no_frequency(string text)
    {
        Assert.Null(ProcLoadParser.ParseCpuFreqKHz(text));
    }

    [Fact]
    public void Stat_cpu_line_counts_guest_time_once()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice: guest ones are inside user/nice already.
        var times = ProcLoadParser.ParseCpuTimes("cpu  10 20 30 40 50 60 70 80 90 100\ncpu0 10 20 30 40 50 60 70 80 90 100\n");
        Assert.Equal(360UL, times.Total);
        Assert.Equal(90UL, times.Idle);
        Assert.Equal(270UL, times.Busy);
    }

    [Fact]
    public void Stat_cpu_lines_give_the_cpu_count()
    {
        Assert.Equal(2, ProcLoadParser.CountCpus(StatAtBoot));
    }

    [Fact]
    public void Stat_without_aggregate_cpu_line_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => ProcLoadParser.ParseCpuTimes("cpu0 1 2 3 4\nintr 5\n"));
    }

    [Fact]
    public void First_read_measures_since_boot_and_next_reads_since_the_previous()
    {
        var files = new Dictionary<string, string> { ["/proc/meminfo"] = MemInfo, ["/proc/cpuinfo"] = CpuInfoX86, ["/proc/stat"] = StatAtBoot };
        var reader = new ProcLoadReader(path => files.GetValueOrDefault(path));

        var first = reader.Read(runningVms: 3);
        Assert.Equal(new LoadSample(3, 2048, 2200, 2, 0.2 * 2 * 2200), first);

        files["/proc/stat"] = StatLater;
        var second = reader.Read(runningVms: 3);
        Assert.Equal(0.4 * 2 * 2200, second.CpuLoadMHz, 1e-9);
        Assert.Equal("/proc/cpuinfo", reader.CpuFrequencySource);
        Assert.False(reader.CpuFrequencyAssumed);
    }

    [Fact]
    public void Unchanged_stat_counters_fall_back_to_the_busy_fraction_since_boot()
    {
        var before = new CpuTimes(1000, 800);
        Assert.Equal(0.2, CpuTimes.BusyFraction(before, before), 1e-12);
        Assert.Equal(0.2, CpuTimes.BusyFraction(null, before), 1e-12);
    }

    [Fact]
    public void Frequency_falls_back_to_cpufreq_max_then_current()
    {
        var files = new Dictionary<string, string>
        {
            ["/proc/meminfo"] = MemInfo, ["/proc/cpuinfo"] = CpuInfoArm, ["/proc/stat"] = StatAtBoot,
            [ProcLoadReader.ScalingCurFreqPath] = "1200000\n",
        };
        var reader = new ProcLoadReader(path => files.GetValueOrDefault(path));
        Assert.Equal(1200.0, reader.Read(0).CpuMHz);
        Assert.Equal(ProcLoadReader.ScalingCurFreqPath, reader.CpuFrequencySource);

        files[ProcLoadReader.CpuInfoMaxFreqPath] = "2400000\n";
        Assert.Equal(2400.0, reader.Read(0).CpuMHz);
        Assert.Equal(ProcLoadReader.CpuInfoMaxFreqPath, reader.CpuFrequencySource);
    }

    [Fact]
    public void Without_any_frequency_1000_MHz_is_assumed_and_reported()
    {
        var files = new Dictionary<string, string> { ["/proc/meminfo"] = MemInfo, ["/proc/cpuinfo"] = CpuInfoArm, ["/proc/stat"] = StatAtBoot };
        var reader = new ProcLoadReader(path => files.GetValueOrDefault(path));
        var sample = reader.Read(1);
        Assert.Equal(ProcLoadReader.AssumedCpuMHz, sample.CpuMHz);
        Assert.Equal(1000.0, sample.CpuMHz);
        Assert.True(reader.CpuFrequencyAssumed);
        Assert.Equal("assumed", reader.CpuFrequencySource);
    }

    [Fact]
    public void Missing_proc_stat_is_an_io_error_naming_the_file()
    {
        var reader = new ProcLoadReader(path => path == "/proc/meminfo" ? MemInfo : null);
        var error = Assert.Throws<IOException>(() => reader.Read(0));
        Assert.Contains("/proc/stat", error.Message);
    }

    [Fact]
    public void Real_proc_files_of_this_machine_give_a_plausible_sample()
    {
        var reader = new ProcLoadReader();
        reader.Read(0);
        var sample = reader.Read(2);
        Assert.True(sample.FreeRamMiB > 0);
        Assert.True(sample.CpuCount > 0);
        Assert.True(sample.CpuMHz > 0);
        Assert.InRange(sample.CpuLoadMHz, 0, sample.CpuCapacityMHz);
        Assert.True(LoadMetric.Compute(sample) > 0);
    }
}
