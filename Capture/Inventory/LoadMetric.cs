namespace VNet.Capture.Inventory;

/// <summary>
/// The inputs of the load metric <see cref="LoadMetric.Compute"/> in the units it is defined with.
/// </summary>
/// <param name="RunningVms">N_vm: VMs running on the host.</param>
/// <param name="FreeRamMiB">R_f: free RAM in MiB (<c>MemAvailable</c> of /proc/meminfo divided by 1024).</param>
/// <param name="CpuMHz">F_cpu: CPU frequency in MHz.</param>
/// <param name="CpuCount">N_cpu: number of (online, logical) CPUs.</param>
/// <param name="CpuLoadMHz">
/// C_cpu: current CPU load in MHz, i.e. busy fraction × N_cpu × F_cpu, so that 0 means idle and
/// N_cpu × F_cpu means saturated. Values outside that range are clamped by <see cref="LoadMetric.Compute"/>.
/// </param>
public sealed record LoadSample(int RunningVms, double FreeRamMiB, double CpuMHz, int CpuCount, double CpuLoadMHz)
{
    /// <summary>N_cpu × F_cpu: the CPU capacity in MHz, the largest meaningful <see cref="CpuLoadMHz"/>.</summary>
    public double CpuCapacityMHz => CpuCount * CpuMHz;
}

/// <summary>
/// The host load metric of the original VNet design:
/// <c>C_n = N_vm / (δ + R_f × F_cpu × (N_cpu × F_cpu − C_cpu))</c>.
/// Lower is better: the TopologyManager places a VM end on the offering host with the lowest C_n.
/// </summary>
/// <remarks>
/// Units: R_f in MiB, F_cpu and C_cpu in MHz, so the denominator is in MiB·MHz² and the values are
/// small (an idle 2 × 2100 MHz host with 24 GB free has a denominator near 2·10¹¹). Only comparisons
/// between hosts matter, and every host computes with the same units. Consequences of the formula
/// as the paper states it: a host with no running VM has C_n = 0 whatever its free resources, and a
/// saturated host (C_cpu = N_cpu × F_cpu) or one without free RAM has C_n = N_vm / δ, which is huge.
/// </remarks>
public static class LoadMetric
{
    /// <summary>δ: keeps the denominator positive when the host is saturated or out of free RAM.</summary>
    public const double DefaultDelta = 1e-6;

    /// <summary>
    /// The unit C_n is shown in: VMs per (GiB of free RAM × GHz of clock × GHz of spare CPU). Computed
    /// in MiB and MHz the values are around 10⁻¹¹; in GiB and GHz an idle 2 × 2.1 GHz host with 24 GiB
    /// free and one VM is near 0.005.
    /// </summary>
    public const string DisplayUnit = "VM/(GiB·GHz²)";

    /// <summary>From VM/(MiB·MHz²), the unit <see cref="Compute"/> returns, to <see cref="DisplayUnit"/>: 1024 MiB per GiB, 1000 MHz per GHz twice.</summary>
    public const double DisplayFactor = 1024 * 1000 * 1000;

    /// <summary>
    /// C_n for people: in <see cref="DisplayUnit"/>, three significant digits, plain decimals from
    /// 0.001 to 10⁶ and an exponent beyond; <c>0</c> for a host without VMs.
    /// </summary>
    public static string Format(double load)
    {
        var value = load * DisplayFactor;
        var magnitude = Math.Abs(value);
        var number = value == 0 ? "0"
            : magnitude is >= 1e-3 and < 1e6 ? value.ToString("F" + Math.Max(0, 2 - (int)Math.Floor(Math.Log10(magnitude))), System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0.00e+0", System.Globalization.CultureInfo.InvariantCulture);
        return $"{number} {DisplayUnit}";
    }

    /// <summary>Computes C_n from a sample. <paramref name="delta"/> is δ and must be positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">δ is not positive, or a count or frequency is negative.</exception>
    public static double Compute(LoadSample sample, double delta = DefaultDelta)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be positive: it is what prevents a division by zero");
        ArgumentOutOfRangeException.ThrowIfNegative(sample.RunningVms, nameof(sample.RunningVms));
        ArgumentOutOfRangeException.ThrowIfNegative(sample.CpuCount, nameof(sample.CpuCount));
        ArgumentOutOfRangeException.ThrowIfNegative(sample.CpuMHz, nameof(sample.CpuMHz));

        var capacity = sample.CpuCapacityMHz;
        var cpuLoad = Math.Clamp(sample.CpuLoadMHz, 0, capacity);
        var freeRam = Math.Max(0, sample.FreeRamMiB);
        return sample.RunningVms / (delta + freeRam * sample.CpuMHz * (capacity - cpuLoad));
    }
}
