using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>
/// Running libvirt/QEMU domains: <c>virsh list --name --state-running</c>, then <c>virsh dumpxml</c> per
/// domain. A NIC's host interface is its <c>&lt;target dev=…&gt;</c>: the tap (<c>vnet0</c>…) libvirt
/// created for it, where VNet captures and injects the VM's frames.
/// </summary>
/// <remarks>
/// NICs without a target device (user-mode networking, PCI passthrough) have nothing on the host VNet
/// could capture on, so they are left out; a domain with no other NIC is still listed, with no NIC.
/// <c>--name</c> and the domain XML are used rather than the <c>list</c>/<c>domiflist</c> tables because
/// they are unambiguous (names with spaces, empty columns, table layout changes across libvirt versions).
/// </remarks>
public sealed class LibvirtVmProvider : IVmProvider
{
    private static readonly ExternalTool Virsh = new("virsh", "Debian package libvirt-clients", "the libvirt VM provider");
    private readonly ICommandRunner _runner;

    /// <summary>
    /// Creates the provider. <paramref name="connectUri"/> is passed as <c>virsh -c</c> (e.g.
    /// <c>qemu:///system</c>; without it virsh uses its default, which for a non-root user is the
    /// session daemon). <paramref name="runner"/> runs virsh.
    /// </summary>
    public LibvirtVmProvider(string? connectUri = null, ICommandRunner? runner = null)
    {
        ConnectUri = string.IsNullOrWhiteSpace(connectUri) ? null : connectUri;
        _runner = runner ?? ProcessCommandRunner.Default;
    }

    /// <inheritdoc/>
    public string Name => "libvirt";

    /// <summary>The libvirt connection URI, or null for virsh's default.</summary>
    public string? ConnectUri { get; }

    /// <summary>The NICs VNet can link: those with both a tap and a MAC.</summary>
    public static ImmutableArray<VmNic> LinkableNics(VirshDomain domain) =>
        [.. domain.Interfaces
            .Where(i => i.TargetDevice is not null && i.Mac is not null)
            .Select(i => new VmNic(i.Mac!.Value, i.TargetDevice!))];

    /// <inheritdoc/>
    public ImmutableArray<VmInfo> ListVms()
    {
        try
        {
            var vms = ImmutableArray.CreateBuilder<VmInfo>();
            foreach (var name in VirshOutput.ParseNameList(Run("list", "--name", "--state-running")))
            {
                var domain = VirshOutput.ParseDomainXml(Run("dumpxml", "--domain", name));
                vms.Add(new VmInfo(name, LinkableNics(domain), "running"));
            }
            return vms.ToImmutable();
        }
        catch (Exception e) when (e is ExternalToolException or FormatException)
        {
            throw new VmProviderException($"libvirt VM provider: {e.Message}", e);
        }
    }

    private string Run(params string[] arguments) =>
        Virsh.Run(_runner, ConnectUri is null ? arguments : ["-c", ConnectUri, .. arguments]);
}
