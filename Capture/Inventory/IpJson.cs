using System.Collections.Immutable;
using System.Text.Json;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>An IPv4 address of an interface with its prefix length.</summary>
/// <param name="Address">The address in dotted-quad form.</param>
/// <param name="PrefixLength">The prefix length (24 for a /24).</param>
public sealed record IpLinkAddress(string Address, int PrefixLength);

/// <summary>One interface as <c>ip -j link show</c> / <c>ip -j addr show</c> describe it.</summary>
/// <param name="Index">The kernel's ifindex.</param>
/// <param name="Name">The interface name (without the <c>@peer</c> suffix the text output shows).</param>
/// <param name="Mac">The link-layer address when it is a 48-bit MAC; null for tun, ipip and other types without one</param>
/// <param name="Mtu">The MTU in bytes.</param>
/// <param name="LinkType">iproute2's link type: <c>ether</c>, <c>loopback</c>, <c>none</c>…</param>
/// <param name="IPv4">The IPv4 addresses, primary first (empty for <c>link show</c>).</param>
public sealed record IpLink(int Index, string Name, MacAddress? Mac, int Mtu, string LinkType, ImmutableArray<IpLinkAddress> IPv4)
{
    /// <summary>The interface flags as iproute2 names them (<c>UP</c>, <c>LOWER_UP</c>, <c>BROADCAST</c>…).</summary>
    public ImmutableArray<string> Flags { get; init; } = [];
}

/// <summary>
/// Parses the JSON that iproute2 prints with <c>-j</c>. iproute2 asks the kernel over netlink, so,
/// unlike /sys/class/net (which shows the namespace sysfs was mounted in), its answer is always about
/// the network namespace of the process that runs it.
/// </summary>
public static class IpJson
{
    /// <summary>Parses the array printed by <c>ip -j link show</c> or <c>ip -j addr show</c>.</summary>
    /// <exception cref="FormatException">The text is not such an array.</exception>
    public static ImmutableArray<IpLink> ParseLinks(string json)
    {
        // An empty answer (e.g. a filter that matched nothing) is an empty list, not an error.
        if (string.IsNullOrWhiteSpace(json)) return [];
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException("ip -j output is not a JSON array");
            var links = ImmutableArray.CreateBuilder<IpLink>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                // `ip -j addr show` can print objects without ifname for addresses of vanished links; skip them.
                if (!element.TryGetProperty("ifname", out var name) || name.ValueKind != JsonValueKind.String) continue;
                links.Add(new IpLink(
                    Index: Int(element, "ifindex"),
                    Name: name.GetString()!,
                    Mac: MacAddress.TryParse(String(element, "address"), out var mac) ? mac : null,
                    Mtu: Int(element, "mtu"),
                    LinkType: String(element, "link_type") ?? "",
                    IPv4: Addresses(element)) { Flags = Flags(element) });
            }
            return links.ToImmutable();
        }
        catch (JsonException e)
        {
            throw new FormatException($"ip -j output is not valid JSON: {e.Message}", e);
        }
    }

    private static ImmutableArray<IpLinkAddress> Addresses(JsonElement link)
    {
        if (!link.TryGetProperty("addr_info", out var info) || info.ValueKind != JsonValueKind.Array) return [];
        var addresses = ImmutableArray.CreateBuilder<IpLinkAddress>();
        foreach (var address in info.EnumerateArray())
        {
            if (String(address, "family") != "inet" || String(address, "local") is not { } local) continue;
            addresses.Add(new IpLinkAddress(local, Int(address, "prefixlen")));
        }
        return addresses.ToImmutable();
    }

    private static ImmutableArray<string> Flags(JsonElement link) =>
        link.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array
            ? [.. flags.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!)]
            : [];

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int Int(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : 0;
}
