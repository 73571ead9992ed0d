using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>
/// Running VirtualBox VMs: <c>VBoxManage list runningvms</c>, then
/// <c>VBoxManage showvminfo UUID --machinereadable</c> per VM.
/// </summary>
/// <remarks>
/// Only <c>bridged</c> NICs (host interface: the bridged host adapter, e.g. <c>eth0</c>) and
/// <c>hostonly</c> NICs (host interface: the host-only adapter, e.g. <c>vboxnet0</c>) are offered.
/// <c>nat</c>, <c>natnetwork</c>, <c>intnet</c>, <c>hostonlynetwork</c> and <c>generic</c> NICs are left
/// out: their frames stay inside VirtualBox, so VNet has no host interface to capture them on and
/// cannot link them. A VM without a linkable NIC is still listed, with no NIC, so users see why it
/// cannot be linked. Because both kinds share their host interface with other traffic (the host's own,
/// other VMs'), VNet's <c>ether src</c> capture filter is what singles the VM out.
/// The state is showvminfo's <c>VMState</c> (<c>running</c>, <c>paused</c>…).
/// </remarks>
public sealed class VirtualBoxVmProvider : IVmProvider
{
    private readonly ExternalTool _vboxManage;
    private readonly ICommandRunner _runner;

    /// <summary>
    /// Creates the provider. <paramref name="command"/> is the VBoxManage executable (name or path);
    /// <paramref name="runner"/> runs it.
    /// </summary>
    public VirtualBoxVmProvider(string command = "VBoxManage", ICommandRunner? runner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        _vboxManage = new ExternalTool(command, "VirtualBox from virtualbox.org, e.g. Oracle's Debian package virtualbox-7.0", "the VirtualBox VM provider");
        _runner = runner ?? ProcessCommandRunner.Default;
    }

    /// <inheritdoc/>
    public string Name => "virtualbox";

    /// <summary>The NICs VNet can link: bridged and host-only adapters with a MAC.</summary>
    public static ImmutableArray<VmNic> LinkableNics(VBoxVmInfo vm) =>
        [.. vm.Nics
            .Where(n => n.HostInterface is not null && n.Mac is not null)
            .Select(n => new VmNic(n.Mac!.Value, n.HostInterface!))];

    /// <inheritdoc/>
    public ImmutableArray<VmInfo> ListVms()
    {
        try
        {
            var vms = ImmutableArray.CreateBuilder<VmInfo>();
            foreach (var listed in VBoxManageOutput.ParseVmList(_vboxManage.Run(_runner, "list", "runningvms")))
            {
                var info = VBoxManageOutput.ParseShowVmInfo(_vboxManage.Run(_runner, "showvminfo", listed.Uuid, "--machinereadable"));
                vms.Add(new VmInfo(listed.Name, LinkableNics(info), info.State ?? "running"));
            }
            return vms.ToImmutable();
        }
        catch (ExternalToolException e)
        {
            throw new VmProviderException($"VirtualBox VM provider: {e.Message}", e);
        }
    }
}
