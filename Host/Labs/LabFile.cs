using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using VNet.Actors.Networks;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>An interface of a lab router or host on a subnet.</summary>
public sealed record LabInterface(string Node, string Name, string Subnet, IPAddress Address, int PrefixLength, IPAddress? Gateway)
{
    /// <summary>The interface's MTU (<c>mtu="9000"</c>), or null for the kernel's default (1500).</summary>
    public int? Mtu { get; init; }

    /// <summary>"192.0.2.10/24".</summary>
    public string Cidr => $"{Address}/{PrefixLength}";
}

/// <summary>A VM of a lab: a namespace with one NIC (eth0), on a host.</summary>
public sealed record LabVm(string Name, string Host, MacAddress Mac, IPAddress? Address, int PrefixLength);

/// <summary>A router of a lab (forwards IPv4; with Multicast, forwards the discovery group too).</summary>
public sealed record LabRouter(string Name, ImmutableArray<LabInterface> Interfaces, bool Multicast);

/// <summary>A host of a lab: runs one vnetd; its first interface's address is its substrate address.</summary>
public sealed record LabHost(string Name, ImmutableArray<LabInterface> Interfaces, ImmutableArray<LabVm> Vms)
{
    /// <summary>The substrate address vnetd uses.</summary>
    public IPAddress Address => Interfaces[0].Address;
}

/// <summary>A lab: substrate (routers, hosts, subnets) and the virtual network to build on it.</summary>
public sealed record LabDefinition(string Name, ImmutableArray<LabRouter> Routers, ImmutableArray<LabHost> Hosts, NetworkDefinition Network, string File)
{
    /// <summary>
    /// <c>&lt;lab bootstrap="discovery"&gt;</c>: the vnetds start without seed nodes and form their
    /// cluster by discovery (routers between hosts need <c>multicast="on"</c>).
    /// </summary>
    public bool DiscoveryBootstrap { get; init; }

    /// <summary>All VMs of all hosts.</summary>
    public IEnumerable<LabVm> Vms => Hosts.SelectMany(h => h.Vms);

    /// <summary>All interfaces, grouped by subnet.</summary>
    public ILookup<string, LabInterface> Subnets => Routers.SelectMany(r => r.Interfaces).Concat(Hosts.SelectMany(h => h.Interfaces)).ToLookup(i => i.Subnet);
}

/// <summary>
/// Reads lab files (see labs/*.xml and docs/labs.md). Every problem is reported with its line;
/// nothing is built from a file with problems.
/// </summary>
public static class LabFile
{
    /// <summary>Longest node name: namespace names are prefix+node and VM names are interface names (15 chars).</summary>
    public const int MaxNodeName = 12;

    /// <summary>Smallest and largest MTU an interface of a lab may have (IPv4's minimum; a veth's maximum).</summary>
    public const int MinMtu = 576, MaxMtu = 65535;

    private static readonly Lazy<XmlSchemaSet> Schema = new(() =>
    {
        using var stream = typeof(LabFile).Assembly.GetManifestResourceStream("VNet.lab.xsd")!;
        var set = new XmlSchemaSet();
        set.Add(null, XmlReader.Create(stream));
        set.Compile();
        return set;
    });

    /// <summary>Reads and checks a lab file, reading no more of it than <see cref="XmlFileLimits.MaxBytes"/> allows.</summary>
    public static LabDefinition Load(string path, XmlFileLimits? limits = null)
    {
        limits ??= XmlFileLimits.Default;
        if (!System.IO.File.Exists(path)) throw new NetworkFileException([new FileProblem(path, 0, 0, "no such file")]);
        byte[] bytes;
        using (var stream = System.IO.File.OpenRead(path))
            if (BoundedXml.SizeProblem(stream, path, limits, out bytes) is { } tooLarge) throw new NetworkFileException([tooLarge]);
        using var text = new StreamReader(new MemoryStream(bytes, writable: false), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Parse(text.ReadToEnd(), path, limits);
    }

    /// <summary>
    /// Parses and checks lab XML within <paramref name="limits"/> (<see cref="XmlFileLimits.Default"/>
    /// when null); throws <see cref="NetworkFileException"/> with every problem.
    /// </summary>
    public static LabDefinition Parse(string xml, string file, XmlFileLimits? limits = null)
    {
        // Limits, DTDs, entities and namespaces first, streaming: only a bounded file becomes a document.
        var doc = BoundedXml.Load(xml, file, limits);
        var problems = new List<FileProblem>();
        var root = doc.Root!;
        if (root.Name.LocalName != "lab") problems.Add(NetworkFile.At(file, root, $"the root element is <{root.Name.LocalName}>, expected <lab>"));
        var name = root.Attribute("name")?.Value ?? "";
        var bootstrap = root.Attribute("bootstrap")?.Value;
        if (bootstrap is not (null or "seed" or "discovery")) problems.Add(NetworkFile.At(file, root, $"bootstrap '{bootstrap}' must be 'seed' (the first host is the seed node) or 'discovery' (no seed nodes)"));
        if (!IsName(name, 24)) problems.Add(NetworkFile.At(file, root, $"lab name '{name}' must be 1-24 lowercase letters, digits or '-'"));
        var routers = new List<LabRouter>();
        var hosts = new List<LabHost>();
        XElement? network = null;
        // Where each router, host, interface and VM was declared, so problems found across them name a line.
        var at = new Dictionary<object, XElement>(ReferenceEqualityComparer.Instance);
        foreach (var e in root.Elements())
        {
            switch (e.Name.LocalName)
            {
                case "router":
                {
                    var n = Node(e, file, problems);
                    var multicast = e.Attribute("multicast")?.Value is "on" or "true" or "yes";
                    var router = new LabRouter(n, [.. Interfaces(e, n, file, problems, allowGateway: false, at)], multicast);
                    at[router] = e;
                    routers.Add(router);
                    break;
                }
                case "host":
                {
                    var n = Node(e, file, problems);
                    var ifs = Interfaces(e, n, file, problems, allowGateway: true, at);
                    if (ifs.Count == 0) problems.Add(NetworkFile.At(file, e, $"host {n} has no <interface>"));
                    var vms = e.Elements().Where(x => x.Name.LocalName == "vm").Select(v => Vm(v, n, file, problems, at)).OfType<LabVm>().ToImmutableArray();
                    var host = new LabHost(n, [.. ifs], vms);
                    at[host] = e;
                    hosts.Add(host);
                    break;
                }
                case "network":
                    if (network is not null) problems.Add(NetworkFile.At(file, e, $"a second <network> (the first is at line {((IXmlLineInfo)network).LineNumber}); a lab has one"));
                    else network = e;
                    break;
                default:
                    problems.Add(NetworkFile.At(file, e, $"unknown element <{e.Name.LocalName}> in <lab> (expected <router>, <host> or <network>)"));
                    break;
            }
        }
        if (hosts.Count == 0) problems.Add(NetworkFile.At(file, root, "a lab needs at least one <host>"));

        int Line(object o) => ((IXmlLineInfo)at[o]).LineNumber;
        // Duplicates are reported where they repeat, naming the line of the first.
        var nodes = routers.Select(r => (r.Name, (object)r)).Concat(hosts.Select(h => (h.Name, (object)h))).Concat(hosts.SelectMany(h => h.Vms).Select(v => (v.Name, (object)v))).ToList();
        foreach (var g in nodes.GroupBy(n => n.Name).Where(g => g.Count() > 1))
            foreach (var again in g.Skip(1))
                problems.Add(NetworkFile.At(file, at[again.Item2], $"name '{g.Key}' is used by {g.Count()} routers/hosts/VMs (first at line {Line(g.First().Item2)}); names must be unique"));
        var allIfs = routers.SelectMany(r => r.Interfaces).Concat(hosts.SelectMany(h => h.Interfaces)).ToList();
        foreach (var g in allIfs.GroupBy(i => i.Address).Where(g => g.Count() > 1))
            foreach (var again in g.Skip(1))
                problems.Add(NetworkFile.At(file, at[again], $"address {g.Key} is used by {string.Join(", ", g.Select(i => $"{i.Node}/{i.Name} (line {Line(i)})"))}"));
        foreach (var subnet in allIfs.GroupBy(i => i.Subnet))
        {
            if (subnet.Count() < 2) problems.Add(NetworkFile.At(file, at[subnet.First()], $"subnet '{subnet.Key}' has only one member ({subnet.First().Node})"));
            var first = subnet.First();
            foreach (var i in subnet.Skip(1).Where(i => i.PrefixLength != first.PrefixLength || !SameNetwork(i.Address, first.Address, first.PrefixLength)))
                problems.Add(NetworkFile.At(file, at[i], $"subnet '{subnet.Key}': {i.Node} has {i.Cidr}, not in {first.Node}'s {first.Cidr} (line {Line(first)})"));
        }
        foreach (var i in allIfs.Where(i => i.Gateway is not null && !allIfs.Any(o => o.Subnet == i.Subnet && o.Address.Equals(i.Gateway))))
            problems.Add(NetworkFile.At(file, at[i], $"{i.Node}/{i.Name}: gateway {i.Gateway} is not an address on subnet '{i.Subnet}'"));

        var known = hosts.SelectMany(h => h.Vms).GroupBy(v => v.Name).ToDictionary(g => g.Key, g => new NetworkVm(g.Key, g.First().Mac, g.First().Host)
        {
            Line = Line(g.First()),
            Column = ((IXmlLineInfo)at[g.First()]).LinePosition,
        });
        var net = network is null
            ? new NetworkDefinition(name, [], [])
            : NetworkFile.ParseElement(network, file, problems, known);
        foreach (var vm in net.Vms.Where(v => known.TryGetValue(v.Name, out var k) && (k.Mac != v.Mac || (v.Host is not null && v.Host != k.Host))))
            problems.Add(new FileProblem(file, vm.Line, vm.Column, $"VM {vm.Name} in <network> differs from the one on host {known[vm.Name].Host} at line {known[vm.Name].Line} (MAC or host)"));
        problems.AddRange(SchemaProblems(doc, network, file).Where(sp => problems.All(p => p.Line != sp.Line)));
        if (problems.Count > 0) throw new NetworkFileException([.. problems.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        var vmsInNetwork = known.Values.Where(v => net.Vms.All(n => n.Name != v.Name)).Concat(net.Vms).ToImmutableArray();
        return new LabDefinition(name, [.. routers], [.. hosts], net with { Vms = vmsInNetwork, Name = name }, file) { DiscoveryBootstrap = bootstrap == "discovery" };
    }

    /// <summary>
    /// What the schemas refuse: the lab schema for everything but <c>&lt;network&gt;</c>, which is
    /// checked against the network file's schema. Unknown elements and attributes end up here.
    /// </summary>
    private static IEnumerable<FileProblem> SchemaProblems(XDocument doc, XElement? network, string file)
    {
        var found = new List<FileProblem>();
        void Add(object? sender, ValidationEventArgs e)
        {
            var message = (sender ?? (e.Exception as XmlSchemaValidationException)?.SourceObject) switch
            {
                XAttribute a when e.Message.Contains("not declared", StringComparison.Ordinal) =>
                    $"<{a.Parent?.Name.LocalName}> has no attribute '{a.Name.LocalName}' (see docs/labs.md for what a lab file holds)",
                XElement x when e.Message.Contains("invalid child element", StringComparison.Ordinal) || e.Message.Contains("not declared", StringComparison.Ordinal) =>
                    $"<{x.Parent?.Name.LocalName}> cannot hold <{x.Name.LocalName}> ({e.Message})",
                _ => $"schema: {e.Message}",
            };
            found.Add(new FileProblem(file, e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0, message));
        }
        doc.Validate(Schema.Value, Add, addSchemaInfo: false);
        if (network is not null && NetworkFile.SchemaSet.GlobalElements[new XmlQualifiedName("network")] is XmlSchemaElement networkSchema)
            network.Validate(networkSchema, NetworkFile.SchemaSet, Add, addSchemaInfo: false);
        return found;
    }

    private static bool IsName(string s, int max) => s.Length is > 0 and var l && l <= max && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') && char.IsAsciiLetterLower(s[0]);

    private static string Node(XElement e, string file, List<FileProblem> problems)
    {
        var n = e.Attribute("name")?.Value ?? "";
        if (!IsName(n, MaxNodeName)) problems.Add(NetworkFile.At(file, e, $"<{e.Name.LocalName}> name '{n}' must be 1-{MaxNodeName} lowercase letters, digits or '-', starting with a letter"));
        return n;
    }

    private static List<LabInterface> Interfaces(XElement node, string nodeName, string file, List<FileProblem> problems, bool allowGateway, Dictionary<object, XElement> at)
    {
        var list = new List<LabInterface>();
        var index = 0;
        foreach (var e in node.Elements().Where(x => x.Name.LocalName == "interface"))
        {
            var name = e.Attribute("name")?.Value ?? $"eth{index}";
            index++;
            if (name.Length > 15 || name.Length == 0) problems.Add(NetworkFile.At(file, e, $"interface name '{name}' must be 1-15 characters"));
            var subnet = e.Attribute("subnet")?.Value;
            if (string.IsNullOrEmpty(subnet)) { problems.Add(NetworkFile.At(file, e, $"{nodeName}/{name} has no subnet"));  continue; }
            if (!TryCidr(e.Attribute("address")?.Value, out var ip, out var prefix)) { problems.Add(NetworkFile.At(file, e, $"{nodeName}/{name}: address '{e.Attribute("address")?.Value}' is not IPv4/prefix such as 192.0.2.10/24")); continue; }
            IPAddress? gw = null;
            if (e.Attribute("gateway") is { } g)
            {
                if (!allowGateway) problems.Add(NetworkFile.At(file, g, $"router {nodeName} does not take a gateway"));
                else if (!IPAddress.TryParse(g.Value, out gw) || gw.AddressFamily != AddressFamily.InterNetwork) { problems.Add(NetworkFile.At(file, g, $"{nodeName}/{name}: gateway '{g.Value}' is not an IPv4 address")); gw = null; }
            }
            int? mtu = null;
            if (e.Attribute("mtu") is { } m)
            {
                if (int.TryParse(m.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is >= MinMtu and <= MaxMtu) mtu = v;
                else problems.Add(NetworkFile.At(file, m, $"{nodeName}/{name}: mtu '{m.Value}' is not a whole number in {MinMtu}-{MaxMtu}"));
            }
            var added = new LabInterface(nodeName, name, subnet, ip, prefix, gw) { Mtu = mtu };
            at[added] = e;
            list.Add(added);
        }
        foreach (var g in list.GroupBy(i => i.Name).Where(g => g.Count() > 1)) problems.Add(NetworkFile.At(file, at[g.Skip(1).First()], $"{nodeName} has two interfaces named {g.Key}"));
        return list;
    }

    private static LabVm? Vm(XElement e, string host, string file, List<FileProblem> problems, Dictionary<object, XElement> at)
    {
        var name = Node(e, file, problems);
        var macText = e.Attribute("mac")?.Value;
        if (!MacAddress.TryParse(macText, out var mac)) { problems.Add(NetworkFile.At(file, e, $"VM {name}: mac '{macText}' is not a MAC address")); return null; }
        if (mac.IsGroup) { problems.Add(NetworkFile.At(file, e, $"VM {name}: {mac} is a multicast MAC; a NIC needs a unicast one")); return null; }
        IPAddress? ip = null;
        var prefix = 0;
        if (e.Attribute("address") is { } a && !TryCidr(a.Value, out ip, out prefix)) { problems.Add(NetworkFile.At(file, a, $"VM {name}: address '{a.Value}' is not IPv4/prefix")); return null; }
        var vm = new LabVm(name, host, mac, ip, prefix);
        at[vm] = e;
        return vm;
    }

    /// <summary>Parses "a.b.c.d/len".</summary>
    public static bool TryCidr(string? text, out IPAddress address, out int prefix)
    {
        address = IPAddress.None;
        prefix = 0;
        var parts = text?.Split('/');
        return parts is { Length: 2 } && IPAddress.TryParse(parts[0], out address!) && address.AddressFamily == AddressFamily.InterNetwork
            && int.TryParse(parts[1], out prefix) && prefix is >= 1 and <= 32;
    }

    private static bool SameNetwork(IPAddress a, IPAddress b, int prefix)
    {
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (ToUInt(a) & mask) == (ToUInt(b) & mask);
    }

    private static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}
