using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace VNet.Host.Daemon;

/// <summary>An IPv4 default route as the kernel lists it in <c>/proc/net/route</c>.</summary>
/// <param name="Interface">The interface the route leaves by.</param>
/// <param name="Gateway">The next hop (0.0.0.0 for a route straight onto a link).</param>
/// <param name="Metric">Lower wins, as in the kernel.</param>
public sealed record DefaultRoute(string Interface, IPAddress Gateway, int Metric);

/// <summary>An interface of this machine with its IPv4 addresses.</summary>
public sealed record HostInterface(string Name, bool Up, ImmutableArray<HostInterfaceAddress> Addresses);

/// <summary>One IPv4 address of an interface, with its prefix length.</summary>
public sealed record HostInterfaceAddress(IPAddress Address, int PrefixLength)
{
    /// <summary>True when <paramref name="other"/> is in this address's subnet.</summary>
    public bool Contains(IPAddress other)
    {
        var mask = PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);
        return (ToUInt(Address) & mask) == (ToUInt(other) & mask);
    }

    private static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}

/// <summary>What the operator configured about the substrate address (<c>vnet.host</c>).</summary>
/// <param name="Address">vnet.host.address: empty or "auto" = find it.</param>
/// <param name="Interface">vnet.host.interface: empty = the interface of the default route.</param>
/// <param name="AllowLoopback">vnet.host.allow-loopback: a loopback address is advertised only when on.</param>
public sealed record SubstrateRequest(string Address, string Interface, bool AllowLoopback);

/// <summary>The address chosen, and how (for the start-up line); or why none could be.</summary>
public sealed record SubstrateChoice(IPAddress? Address, string How, string? Problem)
{
    /// <summary>A chosen address.</summary>
    public static SubstrateChoice Chosen(IPAddress address, string how) => new(address, how, null);

    /// <summary>No address, with what to set.</summary>
    public static SubstrateChoice Refused(string problem) => new(null, "", problem);
}

/// <summary>
/// Chooses the IPv4 address this node advertises to the cluster and uses for links: the one
/// configured, else the first address of the configured interface, else the address of the
/// interface that carries the IPv4 default route (the one with the lowest metric; on it, the
/// address in the gateway's subnet). A loopback address is refused unless allowed: a node that
/// advertises 127.0.0.1 forms a cluster of its own and nothing on another host can reach it.
/// Pure: routes and interfaces are passed in (<see cref="ReadRoutes"/>, <see cref="ReadInterfaces"/>).
/// </summary>
public static class SubstrateAddress
{
    private const string WhatToSet = "set vnet.host.address = <IPv4 address> or vnet.host.interface = <name>";

    /// <summary>Chooses the address; never throws.</summary>
    public static SubstrateChoice Choose(SubstrateRequest request, IReadOnlyList<DefaultRoute> routes, IReadOnlyList<HostInterface> interfaces)
    {
        var choice = ChooseAny(request, routes, interfaces);
        if (choice.Address is { } address && IPAddress.IsLoopback(address) && !request.AllowLoopback)
            return SubstrateChoice.Refused($"{address} ({choice.How}) is a loopback address: no other host can reach this node, and it would form a cluster of its own; {WhatToSet}, or vnet.host.allow-loopback = on when every node runs on this one machine");
        return choice;
    }

    private static SubstrateChoice ChooseAny(SubstrateRequest request, IReadOnlyList<DefaultRoute> routes, IReadOnlyList<HostInterface> interfaces)
    {
        if (request.Address is { Length: > 0 } text && text != "auto")
        {
            if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                return SubstrateChoice.Refused($"vnet.host.address '{text}' is not an IPv4 address");
            if (!IPAddress.IsLoopback(ip) && !interfaces.Any(i => i.Addresses.Any(a => a.Address.Equals(ip))))
                return SubstrateChoice.Refused($"vnet.host.address {ip} is not an address of this machine ({Describe(interfaces)})");
            return SubstrateChoice.Chosen(ip, "vnet.host.address");
        }
        if (request.Interface is { Length: > 0 } name)
        {
            var nic = interfaces.FirstOrDefault(i => i.Name == name);
            if (nic is null) return SubstrateChoice.Refused($"vnet.host.interface '{name}' does not exist ({Describe(interfaces)})");
            if (nic.Addresses.IsEmpty) return SubstrateChoice.Refused($"vnet.host.interface '{name}' has no IPv4 address");
            return SubstrateChoice.Chosen(nic.Addresses[0].Address, $"vnet.host.interface {name}");
        }
        foreach (var route in routes.OrderBy(r => r.Metric))
        {
            var nic = interfaces.FirstOrDefault(i => i.Name == route.Interface && i.Up && !i.Addresses.IsEmpty);
            if (nic is null) continue;
            var onLink = nic.Addresses.FirstOrDefault(a => a.Contains(route.Gateway)) ?? nic.Addresses[0];
            return SubstrateChoice.Chosen(onLink.Address, $"interface {nic.Name} of the default route");
        }
        return SubstrateChoice.Refused($"no IPv4 default route to take the substrate address from ({Describe(interfaces)}); {WhatToSet}");
    }

    private static string Describe(IReadOnlyList<HostInterface> interfaces)
    {
        var withAddress = interfaces.Where(i => !i.Addresses.IsEmpty).Select(i => $"{i.Name} {string.Join(",", i.Addresses.Select(a => a.Address))}").ToList();
        return withAddress.Count == 0 ? "no interface has an IPv4 address" : "addresses here: " + string.Join("; ", withAddress);
    }

    /// <summary>
    /// The default routes in <c>/proc/net/route</c> text: rows whose destination and mask are 0.
    /// Addresses there are hexadecimal in the kernel's (little-endian) byte order.
    /// </summary>
    public static ImmutableArray<DefaultRoute> ParseRoutes(string procNetRoute)
    {
        var routes = ImmutableArray.CreateBuilder<DefaultRoute>();
        foreach (var line in procNetRoute.Split('\n').Skip(1))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) continue;
            if (f[1] != "00000000" || f[7] != "00000000") continue;
            if (!uint.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway)) continue;
            if (!int.TryParse(f[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric)) continue;
            routes.Add(new DefaultRoute(f[0], new IPAddress(gateway), metric));
        }
        return routes.ToImmutable();
    }

    /// <summary>This machine's IPv4 default routes (none when /proc/net/route cannot be read).</summary>
    public static ImmutableArray<DefaultRoute> ReadRoutes()
    {
        try
        {
            return ParseRoutes(File.ReadAllText("/proc/net/route"));
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>This machine's interfaces with their IPv4 addresses.</summary>
    public static ImmutableArray<HostInterface> ReadInterfaces() =>
    [
        .. NetworkInterface.GetAllNetworkInterfaces().Select(nic => new HostInterface(
            nic.Name,
            nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown,
            [.. nic.GetIPProperties().UnicastAddresses
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
                .Select(a => new HostInterfaceAddress(a.Address, a.PrefixLength))])),
    ];
}
