using VNet.Capture.Inventory;

namespace VNet.Capture.Tests.Inventory;

public class LoadMetricTests
{
    [Fact]
    public void Idle_host_load_is_vm_count_over_free_ram_times_frequency_times_capacity()
    {
        // 2 VMs, 1024 MiB free, 4 CPUs at 2000 MHz, idle:
        // C_n = 2 / (1e-6 + 1024 × 2000 × (4 × 2000 − 0)) = 2 / 16 384 000 000.000001
        var load = LoadMetric.Compute(new LoadSample(RunningVms: 2, FreeRamMiB: 1024, CpuMHz: 2000, CpuCount: 4, CpuLoadMHz: 0));
        Assert.Equal(1.220703125e-10, load, 1e-22);
    }

    [Fact]
    public void Half_busy_host_load_uses_the_remaining_capacity()
    {
        // 3 VMs, 2048 MiB, 2 × 1000 MHz with 1000 MHz busy: 3 / (2048 × 1000 × 1000) = 1.46484375e-9.
        var load = LoadMetric.Compute(new LoadSample(3, 2048, 1000, 2, 1000));
        Assert.Equal(1.46484375e-9, load, 1e-21);
    }

    [Fact]
    public void Saturated_host_load_is_vm_count_over_delta()
    {
        var load = LoadMetric.Compute(new LoadSample(RunningVms: 3, FreeRamMiB: 4096, CpuMHz: 2100, CpuCount: 2, CpuLoadMHz: 2 * 2100));
        Assert.Equal(3 / LoadMetric.DefaultDelta, load, 1e-6);
        Assert.Equal(3e6, load, 1e-6);
    }

    [Fact]
    public void Cpu_load_above_capacity_is_clamped_to_saturation()
    {
        var load = LoadMetric.Compute(new LoadSample(3, 4096, 2100, 2, 99_999));
        Assert.Equal(3e6, load, 1e-6);
    }

    [Fact]
    public void Negative_cpu_load_is_clamped_to_idle()
    {
        var idle = LoadMetric.Compute(new LoadSample(2, 1024, 2000, 4, 0));
        var negative = LoadMetric.Compute(new LoadSample(2, 1024, 2000, 4, -500));
        Assert.Equal(idle, negative);
    }

    [Fact]
    public void Host_without_vms_has_zero_load_even_when_saturated()
    {
        Assert.Equal(0.0, LoadMetric.Compute(new LoadSample(0, 1024, 2000, 4, 0)));
        Assert.Equal(0.0, LoadMetric.Compute(new LoadSample(0, 0, 2000, 4, 8000)));
    }

    [Fact]
    public void Delta_prevents_division_by_zero_when_no_ram_is_free()
    {
        var load = LoadMetric.Compute(new LoadSample(2, FreeRamMiB: 0, CpuMHz: 2000, CpuCount: 4, CpuLoadMHz: 0), delta: 0.5);
        Assert.Equal(4.0, load);
        Assert.True(double.IsFinite(LoadMetric.Compute(new LoadSample(2, 0, 0, 0, 0))));
    }

    [Fact]
    public void Loaded_host_has_higher_load_than_idle_host_with_the_same_vms()
    {
        var idle = LoadMetric.Compute(new LoadSample(2, 4096, 2000, 4, 800));
        var busy = LoadMetric.Compute(new LoadSample(2, 4096, 2000, 4, 7200));
        Assert.True(busy > idle);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1e-6)]
    [InlineData(double.NaN)]
    public void Delta_must_be_positive(double delta)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadMetric.Compute(new LoadSample(1, 1, 1, 1, 0), delta));
    }

    [Fact]
    public void Negative_vm_count_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadMetric.Compute(new LoadSample(-1, 1, 1, 1, 0)));
    }

    [Theory]
    [InlineData(8.397e-12, "0.00860 VM/(GiB·GHz²)")] // what a lab host showed as 8.397E-12
    [InlineData(0.0, "0 VM/(GiB·GHz²)")]
    [InlineData(4.63e-9, "4.74 VM/(GiB·GHz²)")]
    [InlineData(1e6, "1.02e+15 VM/(GiB·GHz²)")] // a saturated host: N_vm / δ
    public void Load_is_shown_in_GiB_and_GHz_with_three_significant_digits(double load, string expected)
    {
        Assert.Equal(expected, LoadMetric.Format(load));
    }

    [Fact]
    public void The_shown_load_of_an_idle_host_with_one_vm_is_near_its_paper_value()
    {
        // 24 GiB free, 2 × 2100 MHz idle, one VM: 1 / (24 × 2.1 × 4.2) VM/(GiB·GHz²).
        var load = LoadMetric.Compute(new LoadSample(1, 24 * 1024, 2100, 2, 0));
        Assert.Equal((1 / (24 * 2.1 * 4.2)).ToString("F5", System.Globalization.CultureInfo.InvariantCulture) + " VM/(GiB·GHz²)", LoadMetric.Format(load));
    }
}
