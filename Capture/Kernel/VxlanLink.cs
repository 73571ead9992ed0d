using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using VNet.Capture.Forwarding;
using VNet.Capture.Inventory;
using VNet.Capture.Ports;
using VNet.Messages;

namespace VNet.Capture.Kernel;

/// <summary>
/// One end of a link that the kernel forwards: set up, changed and torn down by running
/// <c>ip</c>/<c>tc</c>. No frame passes through VNet; the control plane only runs commands and
/// reads the device's counters.
/// </summary>
public interface IKernelLink : IDisposable
{
    /// <summary>The MTU the VM interfaces of this link should have.</summary>
    int VmMtu { get; }

    /// <summary>What carries the link, for `link show`.</summary>
    string Description { get; }

    /// <summary>Creates the devices, redirects and shaper; isolates the VM port. Returns what the operator should know.</summary>
    /// <exception cref="ExternalToolException">A command failed; what was created is removed again.</exception>
    IReadOnlyList<string> Start();

    /// <summary>Applies new options to the running end (DSCP, bandwidth, burst).</summary>
    /// <exception cref="ExternalToolException">A command failed.</exception>
    void Apply(LinkOptions options);

    /// <summary>The VM port is back (a new interface of the same name): redirect it again, isolate it, give it <paramref name="mtu"/>.</summary>
    IReadOnlyList<string> Reattach(int? mtu);

    /// <summary>Copies the device's statistics into <paramref name="counters"/> (absolute values).</summary>
    void Sample(LinkCounters counters);
}

/// <summary>The kernel VXLAN end of a kernel-p2p link (see <see cref="VxlanCommands"/> for the shape).</summary>
public sealed class VxlanLink : IKernelLink
{
    private static readonly ExternalTool Ip = ExternalTool.Ip("kernel links");
    private static readonly ExternalTool Tc = new("tc", "Debian package iproute2", "kernel links");

    private readonly VxlanEnd _end;
    private readonly ICommandRunner _runner;
    private readonly string _statistics;
    private readonly object _gate = new();

    /// <summary>
    /// One holder per device name in this process. The name comes from the link id, so when a link is
    /// made again on this host its new end must wait until the old end has removed the device: the
    /// old end is disposed when its actor stops, which may be just after the new one starts.
    /// </summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Holders = new(StringComparer.Ordinal);

    /// <summary>How long a new end waits for an earlier end of the same link to remove its device.</summary>
    private static readonly TimeSpan HandOver = TimeSpan.FromSeconds(10);

    private SemaphoreSlim? _held;
    private LinkOptions _options;
    private VmPortIsolation? _isolation;
    private bool _created;
    private bool _disposed;

    /// <summary>An end not yet started; <paramref name="sysClassNet"/> is where the device statistics are read (tests point it elsewhere).</summary>
    public VxlanLink(VxlanEnd end, LinkOptions options, ICommandRunner? runner = null, string sysClassNet = "/sys/class/net")
    {
        _end = end;
        _options = options;
        _runner = runner ?? ProcessCommandRunner.Default;
        _statistics = Path.Combine(sysClassNet, end.Device, "statistics");
    }

    /// <inheritdoc/>
    public int VmMtu => _end.VmMtu;

    /// <inheritdoc/>
    public string Description => $"kernel VXLAN {_end.Device}, VNI {_end.Vni}, to {_end.Remote}:{VxlanCommands.Port} (unauthenticated)";

    /// <inheritdoc/>
    public IReadOnlyList<string> Start()
    {
        var holder = Holders.GetOrAdd(_end.Device, _ => new SemaphoreSlim(1, 1));
        if (!holder.Wait(HandOver))
            throw new InvalidOperationException($"link {_end.LinkId}: the earlier end of this link on this host did not remove its device {_end.Device} within {HandOver.TotalSeconds:0} s");
        lock (_gate)
        {
            if (_disposed)
            {
                holder.Release();
                throw new ObjectDisposedException(nameof(VxlanLink), $"link {_end.LinkId} was stopped before its kernel end was made");
            }
            _held = holder;
            _created = true;
            try
            {
                foreach (var c in VxlanCommands.Create(_end, _options)) Run(c);
            }
            catch (ExternalToolException)
            {
                RemoveLocked();
                throw;
            }
            _isolation = VmPortIsolation.Hold(_end.VmPort, _runner);
            return _isolation.Warnings;
        }
    }

    /// <inheritdoc/>
    public void Apply(LinkOptions options)
    {
        lock (_gate)
        {
            foreach (var c in VxlanCommands.Change(_end, _options, options)) Run(c);
            _options = options;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Reattach(int? mtu)
    {
        var warnings = new List<string>();
        lock (_gate)
        {
            try
            {
                foreach (var c in VxlanCommands.Rejoin(_end)) Run(c);
                if (mtu is { } m) Run(new KernelCommand("ip", ["link", "set", "dev", _end.VmPort, "mtu", m.ToString(CultureInfo.InvariantCulture)]));
            }
            catch (ExternalToolException e)
            {
                warnings.Add($"cannot join VM port {_end.VmPort} to {_end.Device} again: {e.Message}");
            }
            if (_isolation is not null) warnings.AddRange(_isolation.Refresh());
        }
        return warnings;
    }

    /// <inheritdoc/>
    public void Sample(LinkCounters counters)
    {
        // The device's own counters: tx is what the VM sent (inner frames, before encapsulation), rx
        // what arrived for it. A GSO super-frame counts once, as in the userspace kinds.
        if (Read("tx_packets") is not { } txPackets) return; // the device is gone: keep the last values
        Set(counters.ToSubstrate, txPackets, Read("tx_bytes") ?? 0, (Read("tx_dropped") ?? 0) + (Read("tx_errors") ?? 0), DropReason.SendError);
        Set(counters.ToVm, Read("rx_packets") ?? 0, Read("rx_bytes") ?? 0, (Read("rx_dropped") ?? 0) + (Read("rx_errors") ?? 0), DropReason.DecodeError);
    }

    private static void Set(DirectionStats stats, long frames, long bytes, long drops, DropReason reason)
    {
        Volatile.Write(ref stats.Frames, frames);
        Volatile.Write(ref stats.Bytes, bytes);
        Volatile.Write(ref stats.WireBytes, bytes + 8 * frames); // the VXLAN header of each frame
        Volatile.Write(ref stats.Drops[(int)reason], drops);
    }

    private long? Read(string counter)
    {
        try
        {
            return long.TryParse(File.ReadAllText(Path.Combine(_statistics, counter)).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes the device, the VM port's redirect and the port isolation; nothing of the link stays.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_created) RemoveLocked();
            _held?.Release();
            _held = null;
        }
    }

    private void RemoveLocked()
    {
        _created = false;
        foreach (var c in VxlanCommands.Remove(_end.Device, _end.VmPort)) TryRun(_runner, c);
        _isolation?.Dispose();
        _isolation = null;
    }

    private void Run(KernelCommand c) => Run(_runner, c);

    private static void Run(ICommandRunner runner, KernelCommand c) => (c.Tool == "tc" ? Tc : Ip).Run(runner, c.Arguments);

    private static bool TryRun(ICommandRunner runner, KernelCommand c)
    {
        try
        {
            Run(runner, c);
            return true;
        }
        catch (ExternalToolException)
        {
            return false; // already gone (the VM port vanished, or a crash cleaned it)
        }
    }

    /// <summary>
    /// At start: removes every VNet VXLAN device a previous vnetd left behind (it crashed or was
    /// killed) and the redirect on the VM port its alias names. No link runs yet, so each is stale.
    /// Returns what was done, for the log.
    /// </summary>
    public static IReadOnlyList<string> CleanStale(ICommandRunner? runner = null)
    {
        runner ??= ProcessCommandRunner.Default;
        var done = new List<string>();
        string listing;
        try
        {
            var list = VxlanCommands.ListDevices();
            listing = Ip.Run(runner, list.Arguments);
        }
        catch (ExternalToolException e)
        {
            done.Add($"could not look for stale kernel link devices: {e.Message}");
            return done;
        }
        foreach (var (device, vmPort) in StaleDevices(listing))
        {
            foreach (var c in VxlanCommands.Remove(device, vmPort)) TryRun(runner, c);
            done.Add($"removed stale kernel link device {device} and the redirect on {vmPort}");
        }
        return done;
    }

    /// <summary>The VNet devices (name, VM port) in the output of <see cref="VxlanCommands.ListDevices"/>.</summary>
    public static IReadOnlyList<(string Device, string VmPort)> StaleDevices(string ipJson)
    {
        var found = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(ipJson)) return found;
        using var document = JsonDocument.Parse(ipJson);
        if (document.RootElement.ValueKind != JsonValueKind.Array) return found;
        foreach (var link in document.RootElement.EnumerateArray())
        {
            var alias = link.TryGetProperty("ifalias", out var a) ? a.GetString() : null;
            if (VxlanCommands.VmPortOf(alias) is { } port && link.TryGetProperty("ifname", out var n) && n.GetString() is { } name)
                found.Add((name, port));
        }
        return found;
    }
}
