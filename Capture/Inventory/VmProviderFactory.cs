using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>What the VM providers may need; each provider reads only its own part.</summary>
public sealed record VmProviderSettings
{
    /// <summary>This host's name (netns: used in messages). Defaults to the machine name.</summary>
    public string? HostName { get; init; }

    /// <summary>netns: the namespace-name prefix of lab VMs. Required for <c>netns</c>.</summary>
    public string? NetnsPrefix { get; init; }

    /// <summary>static: the VMs to offer.</summary>
    public ImmutableArray<VmInfo> StaticVms { get; init; } = [];

    /// <summary>libvirt: the connection URI for <c>virsh -c</c>, or null for virsh's default.</summary>
    public string? LibvirtUri { get; init; }

    /// <summary>virtualbox: the VBoxManage executable.</summary>
    public string VBoxManageCommand { get; init; } = "VBoxManage";

    /// <summary>Runs the external tools; null for real child processes.</summary>
    public ICommandRunner? Runner { get; init; }
}

/// <summary>Maps the configured provider name to an <see cref="IVmProvider"/>.</summary>
public static class VmProviderFactory
{
    /// <summary>The provider names the configuration accepts.</summary>
    public static ImmutableArray<string> Names { get; } = ["static", "netns", "libvirt", "virtualbox"];

    /// <summary>
    /// Creates the provider called <paramref name="name"/> (case-insensitive): <c>static</c>,
    /// <c>netns</c>, <c>libvirt</c> or <c>virtualbox</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid ones), or
    /// <c>netns</c> is asked for without <see cref="VmProviderSettings.NetnsPrefix"/>.</exception>
    public static IVmProvider Create(string name, VmProviderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var hostName = string.IsNullOrWhiteSpace(settings.HostName) ? Environment.MachineName : settings.HostName;
        switch (name?.Trim().ToLowerInvariant())
        {
            case "static":
                return new StaticVmProvider(settings.StaticVms.IsDefault ? [] : settings.StaticVms);
            case "netns":
                if (string.IsNullOrEmpty(settings.NetnsPrefix))
                    throw new ArgumentException("the netns VM provider needs a namespace prefix (lab VMs are namespaces named <prefix><vm>)", nameof(settings));
                return new NetnsVmProvider(settings.NetnsPrefix, hostName, settings.Runner);
            case "libvirt":
                return new LibvirtVmProvider(settings.LibvirtUri, settings.Runner);
            case "virtualbox":
                return new VirtualBoxVmProvider(settings.VBoxManageCommand, settings.Runner);
            default:
                throw new ArgumentException($"unknown VM provider '{name}'; valid names are: {string.Join(", ", Names)}", nameof(name));
        }
    }
}
