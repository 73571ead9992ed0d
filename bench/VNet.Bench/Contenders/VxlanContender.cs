using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Contenders;

/// <summary>
/// Linux kernel VXLAN (VNI 42, UDP 4789, unicast remote) bridged with the VM's veth in each host —
/// the configuration of the rivals' reference lab, but with the benchmark's common VM settings.
/// </summary>
public sealed class VxlanContender : Contender
{
    private const string Device = "vx0";

    /// <inheritdoc/>
    public override string Name => "vxlan";

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Kernel;

    /// <inheritdoc/>
    public override string Description => "kernel VXLAN, VNI 42, UDP 4789, unicast remote, `dev eth0` (vx0 MTU = substrate − 50), bridged with the VM veth";

    /// <inheritdoc/>
    public override double SetupSeconds => 1;

    /// <inheritdoc/>
    public override Task SetUpAsync(BenchLab lab, CancellationToken cancel)
    {
        HostBridge.Create(lab);
        Add(lab.Ns(lab.Host1), lab.Host1Address, lab.Host2Address);
        Add(lab.Ns(lab.Host2), lab.Host2Address, lab.Host1Address);
        Notes.Add($"vx0 MTU {BenchLab.Mtu(lab.Ns(lab.Host1), Device)}");
        return Task.CompletedTask;
    }

    private static void Add(string netns, string local, string remote)
    {
        Shell.Ip("-n", netns, "link", "add", Device, "type", "vxlan", "id", "42", "local", local, "remote", remote, "dstport", "4789", "dev", "eth0");
        HostBridge.Attach(netns, Device);
    }

    /// <inheritdoc/>
    public override Task TearDownAsync(BenchLab lab)
    {
        foreach (var ns in lab.HostNamespaces)
            if (BenchLab.Exists(ns, Device)) Shell.Ip("-n", ns, "link", "del", Device);
        HostBridge.Remove(lab);
        return Task.CompletedTask;
    }
}
