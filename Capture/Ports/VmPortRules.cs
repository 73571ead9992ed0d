using System.Globalization;
using System.Text;

namespace VNet.Capture.Ports;

/// <summary>One sysctl VNet sets on a VM port: its path under /proc/sys and the value wanted there.</summary>
/// <param name="Key">The sysctl key with dots, e.g. <c>net.ipv4.conf.vnet3.arp_ignore</c>.</param>
/// <param name="Path">The file under /proc/sys (interface names may hold dots, so this is not derived from the key).</param>
/// <param name="Value">What VNet writes there while it holds the port.</param>
public sealed record PortSysctl(string Key, string Path, string Value);

/// <summary>
/// The pure part of VM port isolation: names, the nftables ruleset text and the record of what
/// the port's sysctls were before VNet changed them. The VM port is a capture point, not a host
/// interface: a netdev ingress hook with policy drop runs after the AF_PACKET taps, so VNet's
/// packet socket still sees every frame while the host's stack (ARP, ND, IP input, discovery)
/// sees none. The sysctls are a second line should the table be removed by hand.
/// </summary>
public static partial class VmPortRules
{
    /// <summary>Every VNet port table starts with this, so stale ones can be found after a crash.</summary>
    public const string TablePrefix = "vnet-port-";

    /// <summary>The marker at the start of the table comment that records the previous sysctls.</summary>
    public const string CommentPrefix = "vnet port ";

    /// <summary>
    /// True when <paramref name="interfaceName"/> can be written into a ruleset and a /proc/sys
    /// path safely: 1–15 characters, none of '"', '\', '/', whitespace or control characters.
    /// </summary>
    public static bool IsUsableName(string? interfaceName) =>
        !string.IsNullOrEmpty(interfaceName) && interfaceName.Length <= 15 && interfaceName is not "." and not ".." &&
        interfaceName.All(c => c > ' ' && c < 0x7f && c is not '"' and not '\\' and not '/');

    /// <summary>
    /// The nftables table of one interface: <c>vnet-port-IF</c>, with characters nft identifiers do
    /// not take replaced by '_' and then a short hash of the real name, so two names never share one.
    /// </summary>
    public static string TableName(string interfaceName)
    {
        var clean = new StringBuilder();
        foreach (var c in interfaceName) clean.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        var name = clean.ToString();
        return name == interfaceName ? TablePrefix + name : $"{TablePrefix}{name}-{Fnv32(interfaceName):x8}";
    }

    /// <summary>
    /// The sysctls VNet sets on a VM port: no ARP reply for any address (arp_ignore 8), no IPv6
    /// (so no ND, no SLAAC, no link-local address), strict reverse-path filtering (a packet whose
    /// source is routed elsewhere, e.g. a peer host's substrate address, is dropped on IP input).
    /// </summary>
    public static IReadOnlyList<PortSysctl> Sysctls(string interfaceName) =>
    [
        new($"net.ipv4.conf.{interfaceName}.arp_ignore", $"net/ipv4/conf/{interfaceName}/arp_ignore", "8"),
        new($"net.ipv4.conf.{interfaceName}.rp_filter", $"net/ipv4/conf/{interfaceName}/rp_filter", "1"),
        new($"net.ipv6.conf.{interfaceName}.disable_ipv6", $"net/ipv6/conf/{interfaceName}/disable_ipv6", "1"),
    ];

    /// <summary>
    /// The ruleset that isolates <paramref name="interfaceName"/>, replacing any earlier table of
    /// that name in one transaction (the "add" makes the "delete" safe when there was none). The
    /// table comment records <paramref name="previous"/> (sysctl key → value before VNet), so a
    /// vnetd that crashed can be cleaned up by the next one.
    /// </summary>
    public static string RenderIsolate(string interfaceName, IReadOnlyDictionary<string, string> previous)
    {
        if (!IsUsableName(interfaceName)) throw new ArgumentException($"interface name '{interfaceName}' cannot be used in an nftables ruleset");
        var table = TableName(interfaceName);
        var sb = new StringBuilder();
        sb.Append("add table netdev ").Append(table).Append('\n');
        sb.Append("delete table netdev ").Append(table).Append('\n');
        sb.Append("table netdev ").Append(table).Append(" {\n");
        sb.Append("\tcomment \"").Append(Comment(interfaceName, previous)).Append("\"\n");
        sb.Append("\tchain in {\n");
        sb.Append("\t\ttype filter hook ingress device \"").Append(interfaceName).Append("\" priority 0; policy drop;\n");
        sb.Append("\t}\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>The command that removes the table of <paramref name="interfaceName"/>.</summary>
    public static string RenderRemove(string interfaceName) => $"delete table netdev {TableName(interfaceName)}\n";

    /// <summary>The table comment: <c>vnet port IF key=value key=value</c> (nft limits comments to 128 bytes; three short sysctls fit).</summary>
    public static string Comment(string interfaceName, IReadOnlyDictionary<string, string> previous)
    {
        var sb = new StringBuilder(CommentPrefix).Append(interfaceName);
        foreach (var (key, value) in previous.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            // Only the short suffix is kept (arp_ignore=0): the interface is already named once.
            var suffix = key[(key.LastIndexOf('.') + 1)..];
            var family = key.StartsWith("net.ipv6.", StringComparison.Ordinal) ? "6" : "4";
            sb.Append(' ').Append(family).Append(suffix).Append('=').Append(value);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Reads a table comment written by <see cref="Comment"/>: the interface and the previous
    /// sysctls as (sysctl, value) pairs; null when the comment is not VNet's.
    /// </summary>
    public static (string Interface, IReadOnlyList<(PortSysctl Sysctl, string Previous)> Values)? ParseComment(string? comment)
    {
        if (comment is null || !comment.StartsWith(CommentPrefix, StringComparison.Ordinal)) return null;
        var words = comment[CommentPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !IsUsableName(words[0])) return null;
        var name = words[0];
        var known = Sysctls(name);
        var values = new List<(PortSysctl, string)>();
        foreach (var w in words.Skip(1))
        {
            var eq = w.IndexOf('=');
            if (eq < 2) continue;
            var family = w[0] == '6' ? "net.ipv6." : "net.ipv4.";
            var suffix = w[1..eq];
            var value = w[(eq + 1)..];
            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) continue; // only numbers are ever written back
            var sysctl = known.FirstOrDefault(s => s.Key.StartsWith(family, StringComparison.Ordinal) && s.Key.EndsWith("." + suffix, StringComparison.Ordinal));
            if (sysctl is not null) values.Add((sysctl, value));
        }
        return (name, values);
    }

    /// <summary>
    /// The (name, comment) of every VNet port table in <c>nft list ruleset netdev</c> output (the
    /// text form: nft 1.0.6's JSON leaves table comments out).
    /// </summary>
    public static IReadOnlyList<(string Table, string? Comment)> PortTables(string nftText)
    {
        var found = new List<(string, string?)>();
        foreach (System.Text.RegularExpressions.Match m in TableHeader().Matches(nftText ?? ""))
        {
            var name = m.Groups["name"].Value;
            if (!name.StartsWith(TablePrefix, StringComparison.Ordinal)) continue;
            found.Add((name, m.Groups["comment"].Success ? m.Groups["comment"].Value : null));
        }
        return found;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^table netdev (?<name>\\S+) \\{[ \\t]*\\r?\\n(?:[ \\t]*comment \"(?<comment>[^\"]*)\")?", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex TableHeader();

    private static uint Fnv32(string s)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 16777619u;
        return h;
    }
}
