using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>Reads the host's network interfaces for discovery answers.</summary>
public interface IHostInventory
{
    /// <summary>
    /// Every interface of the current network namespace except loopback: name, first IPv4 address and
    /// prefix, MAC, MTU, default gateway and the gateway's MAC when the kernel has resolved it.
    /// </summary>
    ImmutableArray<InterfaceInfo> ReadInterfaces();
}

/// <summary>
/// The kernel's view: interfaces from <c>ip -j addr show</c> (netlink), default gateways from
/// /proc/net/route and their MACs from /proc/net/arp. All three describe the network namespace of
/// this process, which is what a lab's vnetd needs (sysfs would show the namespace it was mounted in).
/// </summary>
/// <remarks>
/// The gateway MAC is taken from the neighbour table only: nothing is sent to resolve it, so it is
/// null until the host has talked to its gateway. An interface with several IPv4 addresses reports
/// its primary (first) one.
/// </remarks>
public sealed class KernelHostInventory : IHostInventory
{
    private static readonly ExternalTool Ip = ExternalTool.Ip("the host inventory");

    private readonly ICommandRunner _runner;
    private readonly Func<string, string> _readFile;

    /// <summary>
    /// Creates the inventory. <paramref name="runner"/> runs <c>ip</c> (default: a child process);
    /// <paramref name="readFile"/> reads /proc files (default: <see cref="File.ReadAllText(string)"/>).
    /// </summary>
    public KernelHostInventory(ICommandRunner? runner = null, Func<string, string>? readFile = null)
    {
        _runner = runner ?? ProcessCommandRunner.Default;
        _readFile = readFile ?? File.ReadAllText;
    }

    /// <inheritdoc/>
    /// <exception cref="ExternalToolException"><c>ip</c> is missing or failed.</exception>
    /// <exception cref="FormatException">An output did not look as expected.</exception>
    public ImmutableArray<InterfaceInfo> ReadInterfaces()
    {
        var links = IpJson.ParseLinks(Ip.Run(_runner, "-j", "addr", "show"));
        var routes = ProcNetTables.ParseRoutes(_readFile("/proc/net/route"));
        var neighbours = ProcNetTables.ParseNeighbours(_readFile("/proc/net/arp"));
        return Combine(links, routes, neighbours);
    }

    /// <summary>
    /// Joins interfaces, routes and neighbours into <see cref="InterfaceInfo"/>s, skipping loopback.
    /// Pure: this is the whole logic of <see cref="ReadInterfaces"/> without the reading.
    /// </summary>
    public static ImmutableArray<InterfaceInfo> Combine(
        IEnumerable<IpLink> links, IEnumerable<RouteEntry> routes, IEnumerable<NeighbourEntry> neighbours)
    {
        var gateways = ProcNetTables.DefaultGateways(routes);
        var neighbourList = neighbours.ToList();
        var result = ImmutableArray.CreateBuilder<InterfaceInfo>();
        foreach (var link in links)
        {
            if (link.Name == "lo" || link.LinkType == "loopback") continue;
            var address = link.IPv4.FirstOrDefault();
            var gateway = gateways.GetValueOrDefault(link.Name);
            result.Add(new InterfaceInfo(
                link.Name,
                address?.Address,
                address?.PrefixLength ?? 0,
                link.Mac,
                gateway?.ToString(),
                gateway is null ? null : ProcNetTables.ResolvedMac(neighbourList, gateway, link.Name),
                link.Mtu));
        }
        return result.ToImmutable();
    }
}
