using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>One IPv4 route of /proc/net/route.</summary>
/// <param name="Interface">The outgoing interface.</param>
/// <param name="Destination">The destination network.</param>
/// <param name="Gateway">The next hop; 0.0.0.0 for directly connected routes.</param>
/// <param name="Mask">The destination netmask.</param>
/// <param name="Flags">RTF_* flags (RTF_UP = 0x1, RTF_GATEWAY = 0x2).</param>
/// <param name="Metric">The route metric; lower wins.</param>
public sealed record RouteEntry(string Interface, IPAddress Destination, IPAddress Gateway, IPAddress Mask, int Flags, int Metric)
{
    /// <summary>RTF_UP: the route is usable.</summary>
    public const int FlagUp = 0x1;

    /// <summary>RTF_GATEWAY: the destination is reached through <see cref="Gateway"/>.</summary>
    public const int FlagGateway = 0x2;

    /// <summary>A usable default route through a gateway: destination and mask 0.0.0.0, flags UP and GATEWAY.</summary>
    public bool IsDefaultViaGateway =>
        Destination.Equals(IPAddress.Any) && Mask.Equals(IPAddress.Any) && (Flags & (FlagUp | FlagGateway)) == (FlagUp | FlagGateway);
}

/// <summary>One entry of the IPv4 neighbour (ARP) table /proc/net/arp.</summary>
/// <param name="Address">The neighbour's IPv4 address.</param>
/// <param name="Mac">Its MAC address as the kernel printed it.</param>
/// <param name="Flags">ATF_* flags (ATF_COM = 0x2: resolved; ATF_PERM = 0x4: permanent).</param>
/// <param name="Device">The interface it was learned on.</param>
public sealed record NeighbourEntry(IPAddress Address, MacAddress Mac, int Flags, string Device)
{
    /// <summary>ATF_COM: the entry is resolved and <see cref="Mac"/> is meaningful.</summary>
    public const int FlagComplete = 0x2;

    /// <summary>True when the MAC is known (an incomplete or failed entry prints 00:00:00:00:00:00).</summary>
    public bool IsComplete => (Flags & FlagComplete) != 0;
}

/// <summary>Pure parsers for the kernel's /proc/net/route and /proc/net/arp texts (both per network namespace).</summary>
public static class ProcNetTables
{
    /// <summary>
    /// Parses /proc/net/route. Addresses there are the kernel's 32-bit network-order value printed with
    /// <c>%08X</c> as a native integer, so on little-endian machines (x86, arm64) they read backwards:
    /// <c>010200C0</c> is 192.0.2.1. They are decoded in this machine's byte order, which is the
    /// kernel's since the file is always read on the machine that wrote it.
    /// </summary>
    /// <exception cref="FormatException">A line does not have the kernel's eleven columns.</exception>
    public static ImmutableArray<RouteEntry> ParseRoutes(string text)
    {
        var routes = ImmutableArray.CreateBuilder<RouteEntry>();
        foreach (var line in DataLines(text, "Iface"))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) throw new FormatException($"/proc/net/route line has {f.Length} columns, expected 11: '{line}'");
            routes.Add(new RouteEntry(f[0], HexAddress(f[1], line), HexAddress(f[2], line), HexAddress(f[7], line),
                Hex(f[3], line), Decimal(f[6], line)));
        }
        return routes.ToImmutable();
    }

    /// <summary>Parses /proc/net/arp (columns: IP address, HW type, Flags, HW address, Mask, Device).</summary>
    /// <exception cref="FormatException">A line does not have those six columns.</exception>
    public static ImmutableArray<NeighbourEntry> ParseNeighbours(string text)
    {
        var entries = ImmutableArray.CreateBuilder<NeighbourEntry>();
        foreach (var line in DataLines(text, "IP address"))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6) throw new FormatException($"/proc/net/arp line has {f.Length} columns, expected 6: '{line}'");
            if (!IPAddress.TryParse(f[0], out var address)) throw new FormatException($"/proc/net/arp line has a bad address: '{line}'");
            // Non-Ethernet neighbours (e.g. InfiniBand's 20-byte addresses) have no MAC; they cannot be a VNet gateway.
            if (!MacAddress.TryParse(f[3], out var mac)) continue;
            entries.Add(new NeighbourEntry(address, mac, Hex(f[2], line), f[5]));
        }
        return entries.ToImmutable();
    }

    /// <summary>
    /// The default gateway of each interface: the next hop of its lowest-metric default route.
    /// Interfaces without a default route are absent.
    /// </summary>
    public static ImmutableDictionary<string, IPAddress> DefaultGateways(IEnumerable<RouteEntry> routes) =>
        routes.Where(r => r.IsDefaultViaGateway)
              .GroupBy(r => r.Interface, StringComparer.Ordinal)
              .ToImmutableDictionary(g => g.Key, g => g.MinBy(r => r.Metric)!.Gateway, StringComparer.Ordinal);

    /// <summary>The MAC of <paramref name="address"/> on <paramref name="device"/> when the kernel has resolved it.</summary>
    public static MacAddress? ResolvedMac(IEnumerable<NeighbourEntry> neighbours, IPAddress address, string device) =>
        neighbours.FirstOrDefault(n => n.IsComplete && n.Device == device && n.Address.Equals(address))?.Mac;

    private static IEnumerable<string> DataLines(string text, string header) =>
        text.Split('\n').Select(l => l.TrimEnd('\r', ' ', '\t')).Where(l => l.Length > 0 && !l.StartsWith(header, StringComparison.Ordinal));

    private static IPAddress HexAddress(string hex, string line)
    {
        var value = unchecked((uint)Hex(hex, line));
        // The bytes of the native integer, in native order, are the address in network order.
        return new IPAddress(BitConverter.GetBytes(value));
    }

    private static int Hex(string text, string line) =>
        uint.TryParse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? unchecked((int)value)
            : throw new FormatException($"'{text}' is not a hex number in '{line}'");

    private static int Decimal(string text, string line) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a number in '{line}'");
}
