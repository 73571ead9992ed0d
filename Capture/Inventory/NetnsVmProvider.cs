using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>
/// Lab VMs made of network namespaces. The convention, which lab builders must follow:
/// <list type="bullet">
/// <item>a VM called <c>NAME</c> is the network namespace <c>&lt;prefix&gt;NAME</c> (as listed by <c>ip netns list</c>);</item>
/// <item>inside it, <c>eth0</c> is the VM's NIC;</item>
/// <item>eth0's veth peer lives in the namespace where this host's vnetd runs and is named <c>NAME</c>,
/// cut to 15 characters (the kernel's limit, IFNAMSIZ − 1).</item>
/// </list>
/// A host offers a VM only when that host-side interface exists in its own namespace, so every vnetd
/// of a lab sees all VM namespaces but lists only its own VMs. Offered VMs are always <c>running</c>.
/// </summary>
/// <remarks>
/// Needs root (or CAP_SYS_ADMIN) because <c>ip -n</c> enters the VM's namespace. Presence of the host
/// side is checked with <c>ip -j link show</c> in the current namespace rather than /sys/class/net,
/// because sysfs shows the namespace it was mounted in, which is not ours when vnetd was started with
/// <c>nsenter</c> instead of <c>ip netns exec</c>. A VM namespace without an <c>eth0</c> (still being
/// built) is left out.
/// </remarks>
public sealed class NetnsVmProvider : IVmProvider
{
    /// <summary>The longest interface name Linux accepts.</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>The VM's NIC inside its namespace.</summary>
    public const string VmInterface = "eth0";

    private static readonly ExternalTool Ip = ExternalTool.Ip("the netns VM provider");
    private readonly ICommandRunner _runner;

    /// <summary>
    /// The MAC of each VM's eth0, by namespace and ifindex of the host-side interface. Reading it costs
    /// one <c>ip -n</c> run per VM, which made every listing of a host with many VMs slow; a VM wired
    /// again gets a new veth, whose new ifindex misses the cache, so nothing stale is offered.
    /// </summary>
    private readonly Dictionary<(string Namespace, int HostIndex), MacAddress> _macs = new();
    private readonly object _lock = new();

    /// <summary>
    /// Creates the provider for the VM namespaces named <paramref name="namespacePrefix"/> + VM name,
    /// on the host called <paramref name="hostName"/>. <paramref name="runner"/> runs <c>ip</c>.
    /// </summary>
    public NetnsVmProvider(string namespacePrefix, string hostName, ICommandRunner? runner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(namespacePrefix);
        ArgumentException.ThrowIfNullOrEmpty(hostName);
        NamespacePrefix = namespacePrefix;
        HostName = hostName;
        _runner = runner ?? ProcessCommandRunner.Default;
    }

    /// <inheritdoc/>
    public string Name => "netns";

    /// <summary>The prefix that marks a namespace as a lab VM.</summary>
    public string NamespacePrefix { get; }

    /// <summary>This host's name; it appears in error messages.</summary>
    public string HostName { get; }

    /// <summary>The host-side interface name of VM <paramref name="vmName"/>: the name cut to 15 characters.</summary>
    public static string HostInterfaceFor(string vmName) =>
        vmName.Length <= MaxInterfaceNameLength ? vmName : vmName[..MaxInterfaceNameLength];

    /// <summary>Parses <c>ip netns list</c>: one namespace per line, optionally followed by <c>(id: N)</c>.</summary>
    public static ImmutableArray<string> ParseNamespaceList(string text) =>
        [.. text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' ', 2)[0])];

    /// <inheritdoc/>
    public ImmutableArray<VmInfo> ListVms()
    {
        try
        {
            var local = IpJson.ParseLinks(Ip.Run(_runner, "-j", "link", "show")).GroupBy(l => l.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().Index, StringComparer.Ordinal);
            var vms = ImmutableArray.CreateBuilder<VmInfo>();
            var seen = new HashSet<(string, int)>();
            foreach (var ns in ParseNamespaceList(Ip.Run(_runner, "netns", "list")).Order(StringComparer.Ordinal))
            {
                if (!ns.StartsWith(NamespacePrefix, StringComparison.Ordinal) || ns.Length == NamespacePrefix.Length) continue;
                var vm = ns[NamespacePrefix.Length..];
                var hostInterface = HostInterfaceFor(vm);
                if (!local.TryGetValue(hostInterface, out var hostIndex)) continue;
                var key = (ns, hostIndex);
                seen.Add(key);
                if (MacOf(key) is not { } mac) continue;
                vms.Add(new VmInfo(vm, [new VmNic(mac, hostInterface)], "running"));
            }
            lock (_lock)
                foreach (var gone in _macs.Keys.Where(k => !seen.Contains(k)).ToList()) _macs.Remove(gone);
            return vms.ToImmutable();
        }
        catch (Exception e) when (e is ExternalToolException or FormatException)
        {
            throw new VmProviderException($"netns VM provider on {HostName}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The MAC of eth0 in the namespace, read once per host-side interface; null while the VM has no
    /// eth0 yet. It is kept only once eth0 is up: a lab sets the MAC before it brings the NIC up.
    /// </summary>
    private MacAddress? MacOf((string Namespace, int HostIndex) key)
    {
        lock (_lock)
            if (_macs.TryGetValue(key, out var known)) return known;
        var nic = IpJson.ParseLinks(Ip.Run(_runner, "-n", key.Namespace, "-j", "link", "show"))
                        .FirstOrDefault(l => l.Name == VmInterface);
        if (nic?.Mac is not { } mac) return null;
        if (nic.Flags.Contains("UP"))
            lock (_lock) _macs[key] = mac;
        return mac;
    }
}
