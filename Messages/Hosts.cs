using System.Collections.Immutable;

namespace VNet.Messages;

/// <summary>One network interface of a host, as read from the kernel.</summary>
public sealed record InterfaceInfo(string Name, string? IPv4, int PrefixLength, MacAddress? Mac, string? Gateway, MacAddress? GatewayMac, int Mtu);

/// <summary>A NIC of a VM: its MAC and the host-side interface (tap or veth) it is attached to.</summary>
public sealed record VmNic(MacAddress Mac, string HostInterface);

/// <summary>A VM a host offers.</summary>
public sealed record VmInfo(string Name, ImmutableArray<VmNic> Nics, string State);

/// <summary>What a host tells about itself: identity, interfaces, VMs and load C_n.</summary>
public sealed record HostInfo(string Name, string SubstrateAddress, ImmutableArray<InterfaceInfo> Interfaces, ImmutableArray<VmInfo> Vms, double Load)
{
    /// <summary>When the information was read (UTC).</summary>
    public DateTime ReadAt { get; init; } = DateTime.UtcNow;

    /// <summary>The Akka address of the host's node (akka.ssl.tcp://vnet@ip:port; akka.tcp:// when vnet.trust.mode = off).</summary>
    public string? NodeAddress { get; init; }

    /// <summary>The VM with this name, or null.</summary>
    public VmInfo? Vm(string name) => Vms.FirstOrDefault(v => v.Name == name);
}
