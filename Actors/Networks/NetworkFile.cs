using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using VNet.Messages;

namespace VNet.Actors.Networks;

/// <summary>The file had problems; <see cref="Problems"/> lists every one.</summary>
public sealed class NetworkFileException(IReadOnlyList<FileProblem> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<FileProblem> Problems { get; } = problems;
}

/// <summary>
/// Reads and writes the network file. Pure: text in, model or every problem out. The same
/// <c>&lt;network&gt;</c> element is the virtual-network part of a lab file.
/// </summary>
public static class NetworkFile
{
    private static readonly Lazy<XmlSchemaSet> Schema = new(() =>
    {
        using var stream = typeof(NetworkFile).Assembly.GetManifestResourceStream("VNet.network.xsd")!;
        var set = new XmlSchemaSet();
        set.Add(null, XmlReader.Create(stream));
        set.Compile();
        return set;
    });

    /// <summary>The network file's schema (network.xsd), also used for the <c>&lt;network&gt;</c> part of lab files.</summary>
    public static XmlSchemaSet SchemaSet => Schema.Value;

    /// <summary>
    /// Parses a whole network file within <paramref name="limits"/> (<see cref="XmlFileLimits.Default"/>
    /// when null); throws <see cref="NetworkFileException"/> listing every problem.
    /// </summary>
    public static NetworkDefinition Parse(string xml, string fileName, XmlFileLimits? limits = null)
    {
        // Limits, DTDs, entities and namespaces first, streaming: only a bounded file becomes a document.
        var doc = BoundedXml.Load(xml, fileName, limits);
        var problems = new List<FileProblem>();
        var root = doc.Root!;
        if (root.Name.LocalName != "network") problems.Add(At(fileName, root, $"the root element is <{root.Name.LocalName}>, expected <network>"));
        var result = ParseElement(root, fileName, problems, knownVms: null);
        // The schema catches what the reader does not look at (misplaced or repeated elements); where both
        // object to the same line, the reader's message is the clearer one.
        var schemaProblems = new List<FileProblem>();
        doc.Validate(Schema.Value, (_, e) => schemaProblems.Add(new FileProblem(fileName, e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0, $"schema: {e.Message}")), addSchemaInfo: false);
        problems.AddRange(schemaProblems.Where(sp => problems.All(p => p.Line != sp.Line)));
        if (problems.Count > 0) throw new NetworkFileException([.. problems.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        return result;
    }

    /// <summary>
    /// Parses a <c>&lt;network&gt;</c> element, adding problems to <paramref name="problems"/>.
    /// <paramref name="knownVms"/> (from a lab file) are VMs declared elsewhere that links may name.
    /// </summary>
    public static NetworkDefinition ParseElement(XElement network, string file, List<FileProblem> problems, IReadOnlyDictionary<string, NetworkVm>? knownVms)
    {
        var vms = new List<NetworkVm>();
        var links = new List<NetworkLink>();
        var linkAt = new Dictionary<NetworkLink, XElement>(ReferenceEqualityComparer.Instance);
        foreach (var e in network.Elements())
        {
            switch (e.Name.LocalName)
            {
                case "vm":
                    var name = Attr(e, "name", file, problems);
                    var nic = e.Element(e.Name.Namespace + "nic");
                    var macText = nic?.Attribute("mac")?.Value ?? e.Attribute("mac")?.Value;
                    if (macText is null) problems.Add(At(file, e, $"VM '{name}' has no <nic mac=\"...\"/>"));
                    else if (!MacAddress.TryParse(macText, out var mac)) problems.Add(At(file, nic ?? e, $"VM '{name}': '{macText}' is not a MAC address"));
                    else if (name is not null) vms.Add(new NetworkVm(name, mac, e.Attribute("host")?.Value) { Line = LineOf(e), Column = ColumnOf(e) });
                    break;
                case "link":
                    if (ParseLink(e, file, problems) is { } link)
                    {
                        links.Add(link);
                        linkAt[link] = e;
                    }
                    break;
                default:
                    problems.Add(At(file, e, $"unknown element <{e.Name.LocalName}> in <network> (expected <vm> or <link>)"));
                    break;
            }
        }
        var all = new Dictionary<string, NetworkVm>(knownVms ?? new Dictionary<string, NetworkVm>());
        // A duplicate is reported where it repeats, naming the line of the first one.
        foreach (var g in vms.GroupBy(v => v.Name).Where(g => g.Count() > 1))
            foreach (var again in g.Skip(1))
                problems.Add(new FileProblem(file, again.Line, again.Column, $"VM '{g.Key}' is declared {g.Count()} times (first at line {g.First().Line})"));
        foreach (var vm in vms) all[vm.Name] = vm;
        foreach (var g in all.Values.GroupBy(v => v.Mac).Where(g => g.Count() > 1))
        {
            // VMs declared elsewhere (a lab's hosts) come first, so the repeat is in this element where there is one.
            var again = g.LastOrDefault(v => v.Line > 0) ?? g.Last();
            problems.Add(new FileProblem(file, again.Line, again.Column, $"duplicate MAC {g.Key} on VMs {string.Join(", ", g.Select(v => v.Line > 0 ? $"{v.Name} (line {v.Line})" : v.Name))}"));
        }
        foreach (var g in links.GroupBy(l => l.Id).Where(g => g.Count() > 1))
            foreach (var again in g.Skip(1))
                problems.Add(new FileProblem(file, again.Line, again.Column, $"duplicate link id '{g.Key}' (first at line {g.First().Line})"));
        foreach (var link in links)
            foreach (var vm in link.Vms.Where(v => !all.ContainsKey(v)))
                problems.Add(At(file, linkAt[link], $"link {link.Id}: unknown VM '{vm}'"));
        return new NetworkDefinition(network.Attribute("name")?.Value ?? "", [.. vms], [.. links]);
    }

    private static NetworkLink? ParseLink(XElement e, string file, List<FileProblem> problems)
    {
        var before = problems.Count;
        var id = Attr(e, "id", file, problems);
        if (id is not null && !LinkSpec.IsValidId(id)) problems.Add(At(file, e, $"link id '{id}' is not valid (1-32 letters, digits, '-', '_', '.')"));
        var kindText = e.Attribute("kind")?.Value ?? "raw-p2p";
        if (!LinkKinds.TryParse(kindText, out var kind)) problems.Add(At(file, e, $"link {id}: '{kindText}' is not a link kind ({LinkKinds.AllNames})"));
        var vms = e.Elements().Where(x => x.Name.LocalName == "end").Select(x => Attr(x, "vm", file, problems) ?? "").ToImmutableArray();
        if (!kind.IsMultipoint() && vms.Length != 2) problems.Add(At(file, e, $"link {id}: a {kind.Name()} link has exactly 2 <end> elements, not {vms.Length}"));
        if (kind.IsMultipoint() && vms.Length < 2) problems.Add(At(file, e, $"link {id}: a {kind.Name()} segment needs at least 2 <end> elements"));
        var protocol = 0;
        if (e.Attribute("protocol") is { } p && !(int.TryParse(p.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out protocol) && protocol is >= LinkSpec.FirstProtocol and <= LinkSpec.LastProtocol))
            problems.Add(At(file, p, $"link {id}: protocol number '{p.Value}' is out of range {LinkSpec.FirstProtocol}-{LinkSpec.LastProtocol}"));
        var options = LinkOptions.Default;
        if (e.Elements().FirstOrDefault(x => x.Name.LocalName == "options") is { } o)
        {
            options = ParseOptions(o, id, file, problems);
            foreach (var problem in kind.OptionProblems(options)) problems.Add(At(file, o, $"link {id}: {problem}"));
        }
        return problems.Count == before && id is not null ? new NetworkLink(id, kind, vms, options, protocol) { Line = LineOf(e), Column = ColumnOf(e) } : null;
    }

    private static LinkOptions ParseOptions(XElement o, string? id, string file, List<FileProblem> problems)
    {
        var options = LinkOptions.Default;
        foreach (var a in o.Attributes())
        {
            var v = a.Value;
            switch (a.Name.LocalName)
            {
                case "compression":
                    if (v is "none" or "lz4") options = options with { Compression = v == "lz4" ? Compression.Lz4 : Compression.None };
                    else problems.Add(At(file, a, $"link {id}: compression '{v}' must be none or lz4"));
                    break;
                case "dscp":
                    if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var dscp) && dscp is >= 0 and <= 63) options = options with { Dscp = dscp };
                    else problems.Add(At(file, a, $"link {id}: dscp '{v}' is out of range 0-63"));
                    break;
                case "bandwidth":
                    if (Units.TryParseBitRate(v, out var bits) && bits <= LinkOptions.MaxBandwidth) options = options with { BandwidthBitsPerSecond = bits };
                    else problems.Add(At(file, a, $"link {id}: bandwidth '{v}' is not a rate such as 100M (0-100G)"));
                    break;
                case "burst":
                    if (Units.TryParseBytes(v, out var bytes) && bytes <= 64 << 20) options = options with { BurstBytes = (int)bytes };
                    else problems.Add(At(file, a, $"link {id}: burst '{v}' is not a size such as 64K (at most 64M)"));
                    break;
                case "delay" or "jitter" or "loss":
                    var max = a.Name.LocalName == "loss" ? 100 : LinkOptions.MaxDelayMs;
                    if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d <= max)
                        options = a.Name.LocalName switch
                        {
                            "delay" => options with { DelayMs = d },
                            "jitter" => options with { JitterMs = d },
                            _ => options with { LossPercent = d },
                        };
                    else problems.Add(At(file, a, $"link {id}: {a.Name.LocalName} '{v}' is out of range 0-{max}"));
                    break;
                case "encrypt":
                    if (v is "true" or "false") options = options with { Encrypt = v == "true" };
                    else problems.Add(At(file, a, $"link {id}: encrypt '{v}' must be true or false"));
                    break;
                case "auth":
                    if (v is "true" or "false") options = options with { Authenticate = v == "true" };
                    else problems.Add(At(file, a, $"link {id}: auth '{v}' must be true or false"));
                    break;
                case "filter-src":
                    if (v is "true" or "false") options = options with { FilterSource = v == "true" };
                    else problems.Add(At(file, a, $"link {id}: filter-src '{v}' must be true or false"));
                    break;
                default:
                    problems.Add(At(file, a, $"link {id}: unknown option '{a.Name.LocalName}'"));
                    break;
            }
        }
        if (options.JitterMs > options.DelayMs) problems.Add(At(file, o, $"link {id}: jitter {options.JitterMs} ms is larger than delay {options.DelayMs} ms"));
        if (options.Encrypt && !options.Authenticate) problems.Add(At(file, o, $"link {id}: encrypt needs authentication: encrypt=\"true\" cannot be used with auth=\"false\""));
        return options;
    }

    private static string? Attr(XElement e, string name, string file, List<FileProblem> problems)
    {
        var v = e.Attribute(name)?.Value;
        if (string.IsNullOrWhiteSpace(v)) { problems.Add(At(file, e, $"<{e.Name.LocalName}> has no '{name}' attribute")); return null; }
        return v;
    }

    /// <summary>
    /// Writes a network file: VMs then links, each sorted by name, options only where they differ
    /// from the defaults, so the same network always gives the same bytes (save → load → save).
    /// </summary>
    public static string Write(NetworkDefinition network)
    {
        var root = new XElement("network", new XAttribute("name", network.Name));
        foreach (var vm in network.Vms.OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            var e = new XElement("vm", new XAttribute("name", vm.Name));
            if (vm.Host is not null) e.Add(new XAttribute("host", vm.Host));
            e.Add(new XElement("nic", new XAttribute("mac", vm.Mac.ToString())));
            root.Add(e);
        }
        foreach (var link in network.Links.OrderBy(l => l.Id, StringComparer.Ordinal))
        {
            var e = new XElement("link", new XAttribute("id", link.Id), new XAttribute("kind", link.Kind.Name()));
            if (link.Protocol != 0) e.Add(new XAttribute("protocol", link.Protocol));
            foreach (var vm in link.Vms) e.Add(new XElement("end", new XAttribute("vm", vm)));
            var o = link.Options;
            var options = new XElement("options");
            if (o.Compression != Compression.None) options.Add(new XAttribute("compression", "lz4"));
            if (o.Dscp != 0) options.Add(new XAttribute("dscp", o.Dscp));
            if (o.BandwidthBitsPerSecond != 0) options.Add(new XAttribute("bandwidth", Units.FormatBitRate(o.BandwidthBitsPerSecond)));
            if (o.BurstBytes != 0) options.Add(new XAttribute("burst", o.BurstBytes));
            if (o.DelayMs != 0) options.Add(new XAttribute("delay", o.DelayMs.ToString(CultureInfo.InvariantCulture)));
            if (o.JitterMs != 0) options.Add(new XAttribute("jitter", o.JitterMs.ToString(CultureInfo.InvariantCulture)));
            if (o.LossPercent != 0) options.Add(new XAttribute("loss", o.LossPercent.ToString(CultureInfo.InvariantCulture)));
            if (o.Encrypt) options.Add(new XAttribute("encrypt", "true"));
            if (!o.Authenticate) options.Add(new XAttribute("auth", "false"));
            if (o.FilterSource) options.Add(new XAttribute("filter-src", "true"));
            if (options.HasAttributes) e.Add(options);
            root.Add(e);
        }
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = false, Encoding = new UTF8Encoding(false) }))
            new XDocument(root).Save(w);
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"") + "\n";
    }

    private static int LineOf(XObject node) => node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;

    private static int ColumnOf(XObject node) => node is IXmlLineInfo info && info.HasLineInfo() ? info.LinePosition : 0;

    /// <summary>A problem located at an XML node.</summary>
    public static FileProblem At(string file, XObject node, string message)
    {
        var info = (IXmlLineInfo)node;
        return new FileProblem(file, info.HasLineInfo() ? info.LineNumber : 0, info.HasLineInfo() ? info.LinePosition : 0, message);
    }
}
