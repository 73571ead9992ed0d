using System.Collections.Immutable;
using System.Xml;
using System.Xml.Linq;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>A row of the <c>virsh list</c> table.</summary>
/// <param name="Id">The domain id, or <c>-</c> for an inactive domain.</param>
/// <param name="Name">The domain name.</param>
/// <param name="State">The state as printed (<c>running</c>, <c>paused</c>, <c>shut off</c>…).</param>
public sealed record VirshListEntry(string Id, string Name, string State);

/// <summary>A NIC of a libvirt domain.</summary>
/// <param name="TargetDevice">The host-side tap (<c>vnet0</c>…), or null when there is none (user-mode, hostdev, inactive domain).</param>
/// <param name="Mac">The guest's MAC address, or null when absent or unreadable.</param>
/// <param name="Type">The interface type: <c>bridge</c>, <c>network</c>, <c>direct</c>, <c>user</c>…</param>
/// <param name="Source">The bridge, network or device it is attached to, when stated.</param>
public sealed record VirshInterface(string? TargetDevice, MacAddress? Mac, string Type, string? Source);

/// <summary>A domain as <c>virsh dumpxml</c> describes it, reduced to what VNet needs.</summary>
/// <param name="Name">The domain name (<c>&lt;name&gt;</c>).</param>
/// <param name="Interfaces">Its <c>devices/interface</c> elements in document order.</param>
public sealed record VirshDomain(string Name, ImmutableArray<VirshInterface> Interfaces);

/// <summary>Pure parsers for virsh output (libvirt's domain XML format and its tables).</summary>
public static class VirshOutput
{
    /// <summary>Parses <c>virsh list --name</c>: one domain per line; blank lines (virsh ends with one) are skipped.</summary>
    public static ImmutableArray<string> ParseNameList(string text) =>
        [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];

    /// <summary>
    /// Parses the <c>virsh list</c> table (old format with a dashes line, or newer ones with a leading space).
    /// Assumes domain names without whitespace, which is why the provider itself uses <c>--name</c>.
    /// </summary>
    public static ImmutableArray<VirshListEntry> ParseListTable(string text)
    {
        var entries = ImmutableArray.CreateBuilder<VirshListEntry>();
        foreach (var fields in TableRows(text, "Id"))
        {
            if (fields.Length < 3) throw new FormatException($"virsh list row has {fields.Length} columns, expected 3: '{string.Join(' ', fields)}'");
            entries.Add(new VirshListEntry(fields[0], fields[1], string.Join(' ', fields[2..])));
        }
        return entries.ToImmutable();
    }

    /// <summary>
    /// Parses the <c>virsh domiflist DOMAIN</c> table (<c>Interface Type Source Model MAC</c>).
    /// An Interface of <c>-</c> (stopped domain, user-mode NIC) gives a null <see cref="VirshInterface.TargetDevice"/>.
    /// </summary>
    public static ImmutableArray<VirshInterface> ParseDomIfList(string text)
    {
        var interfaces = ImmutableArray.CreateBuilder<VirshInterface>();
        foreach (var fields in TableRows(text, "Interface"))
        {
            if (fields.Length < 3) throw new FormatException($"virsh domiflist row has {fields.Length} columns, expected 5: '{string.Join(' ', fields)}'");
            interfaces.Add(new VirshInterface(
                fields[0] == "-" ? null : fields[0],
                MacAddress.TryParse(fields[^1], out var mac) ? mac : null,
                fields[1],
                fields.Length >= 5 && fields[2] != "-" ? fields[2] : null));
        }
        return interfaces.ToImmutable();
    }

    /// <summary>
    /// Parses <c>virsh dumpxml DOMAIN</c>: the domain name and each <c>devices/interface</c> with its
    /// <c>mac/@address</c>, <c>target/@dev</c> and <c>source</c> (<c>@network</c>, <c>@bridge</c> or <c>@dev</c>, by interface type).
    /// </summary>
    /// <exception cref="FormatException">The text is not a libvirt domain XML.</exception>
    public static VirshDomain ParseDomainXml(string xml)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException e)
        {
            throw new FormatException($"virsh dumpxml output is not XML: {e.Message}", e);
        }
        var domain = document.Root;
        if (domain?.Name.LocalName != "domain") throw new FormatException("virsh dumpxml output has no <domain> root element");
        var name = domain.Element("name")?.Value.Trim() ?? throw new FormatException("virsh dumpxml output has no <name>");
        var interfaces = ImmutableArray.CreateBuilder<VirshInterface>();
        foreach (var nic in domain.Elements("devices").Elements("interface"))
        {
            var type = nic.Attribute("type")?.Value ?? "";
            var target = nic.Element("target")?.Attribute("dev")?.Value;
            interfaces.Add(new VirshInterface(
                string.IsNullOrWhiteSpace(target) ? null : target,
                MacAddress.TryParse(nic.Element("mac")?.Attribute("address")?.Value, out var mac) ? mac : null,
                type,
                Source(nic.Element("source"), type)));
        }
        return new VirshDomain(name, interfaces.ToImmutable());
    }

    /// <summary>
    /// What the NIC is attached to, named as its type names it: a running <c>network</c> NIC also
    /// carries the network's bridge, but the network is what domiflist shows and users configured.
    /// </summary>
    private static string? Source(XElement? source, string type)
    {
        if (source is null) return null;
        var preferred = type switch { "network" => "network", "bridge" => "bridge", "direct" => "dev", _ => null };
        return (preferred is null ? null : source.Attribute(preferred)?.Value)
            ?? (source.Attribute("network") ?? source.Attribute("bridge") ?? source.Attribute("dev"))?.Value;
    }

    /// <summary>The data rows of a virsh table: after the header line that starts with <paramref name="firstColumn"/> and the dashes line.</summary>
    private static IEnumerable<string[]> TableRows(string text, string firstColumn)
    {
        var inBody = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (!inBody)
            {
                if (line.StartsWith(firstColumn + " ", StringComparison.Ordinal)) continue;
                if (line.All(c => c == '-')) { inBody = true; continue; }
                throw new FormatException($"unexpected line before the virsh table body: '{line}'");
            }
            yield return line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        }
    }
}
