using VNet.Host.Labs;

namespace VNet.Bench.Lab;

/// <summary>
/// The bridge a kernel or rival tunnel needs in each host namespace: the VM's host-side veth and the tunnel device are its two ports. VNet captures on the VM's
/// veth directly, so the bridge is removed again before VNet is measured.
/// </summary>
public static class HostBridge
{
    /// <summary>The bridge's name inside each host namespace.</summary>
    public const string Name = "br0";

    /// <summary>Creates br0 in each host namespace with the host's VM veth enslaved.</summary>
    public static void Create(BenchLab lab)
    {
        foreach (var vm in lab.Vms)
        {
            var ns = vm.HostNetns;
            Shell.Ip("-n", ns, "link", "add", Name, "type", "bridge", "stp_state", "0", "forward_delay", "0");
            Quiet(ns, Name);
            // Measure the tunnel, not netfilter on bridged frames (when br_netfilter is loaded).
            Shell.InNetns(ns, ["sh", "-c", "for f in /proc/sys/net/bridge/bridge-nf-call-ip*tables; do [ -w \"$f\" ] && echo 0 >\"$f\"; done; true"]);
            Shell.Ip("-n", ns, "link", "set", vm.Name, "master", Name);
            Shell.Ip("-n", ns, "link", "set", Name, "up");
        }
    }

    /// <summary>Enslaves <paramref name="device"/> to br0 in <paramref name="netns"/> and brings it up.</summary>
    public static void Attach(string netns, string device)
    {
        Quiet(netns, device);
        Shell.Ip("-n", netns, "link", "set", device, "master", Name);
        Shell.Ip("-n", netns, "link", "set", device, "up");
    }

    /// <summary>No IPv6 on the bridge or tunnel ports: the host must not chatter into the VMs' segment.</summary>
    public static void Quiet(string netns, string device) =>
        Shell.InNetns(netns, ["sysctl", "-qw", $"net.ipv6.conf.{device}.disable_ipv6=1"], check: false);

    /// <summary>Deletes br0 in both host namespaces (its ports are released) and checks the VM veths are free.</summary>
    public static void Remove(BenchLab lab)
    {
        foreach (var vm in lab.Vms)
        {
            if (BenchLab.Exists(vm.HostNetns, Name)) Shell.Ip("-n", vm.HostNetns, "link", "del", Name);
            if (BenchLab.Master(vm.HostNetns, vm.Name) is { } master)
                throw new ShellException($"{vm.Name} in {vm.HostNetns} is still enslaved to {master} after removing {Name}");
        }
    }
}
