using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>
/// Where a host learns which VMs it offers and the host-side interface of each NIC
/// in these ways: labs (netns), libvirt (virsh), VirtualBox (VBoxManage), or a static list.
/// </summary>
public interface IVmProvider
{
    /// <summary>The provider's name as configured (<c>static</c>, <c>netns</c>, <c>libvirt</c>, <c>virtualbox</c>).</summary>
    string Name { get; }

    /// <summary>The VMs offered now. Throws <see cref="VmProviderException"/> when the tool behind it is unusable.</summary>
    ImmutableArray<VmInfo> ListVms();
}

/// <summary>A VM provider cannot work (tool missing, unexpected output); the message says which and why.</summary>
public sealed class VmProviderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>VMs listed in the configuration (<c>vnet.vms</c>): fixed NICs on known host interfaces.</summary>
public sealed class StaticVmProvider(ImmutableArray<VmInfo> vms) : IVmProvider
{
    /// <inheritdoc/>
    public string Name => "static";

    /// <inheritdoc/>
    public ImmutableArray<VmInfo> ListVms() => vms;
}
