using System.Text;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>
/// A lab drawn as a graph (<c>vnet lab graph</c>): routers, hosts and VMs as nodes, subnets as the
/// substrate's edges (a switch node when a subnet has more than two members), each VM tied to its
/// host, and the virtual links between VMs (a segment node for a multipoint link). Pure: the lab
/// definition in, Graphviz DOT or Mermaid text out.
/// </summary>
public static class LabGraph
{
    /// <summary>The graph formats <c>lab graph --format</c> takes.</summary>
    public static readonly string[] Formats = ["dot", "mermaid"];

    private sealed record Edge(string From, string To, string Label, EdgeKind Kind);

    private enum EdgeKind { Substrate, Attachment, Link }

    private sealed record Node(string Id, string Label, string Shape);

    /// <summary>The lab in Graphviz DOT (<c>| dot -Tsvg</c>).</summary>
    public static string Dot(LabDefinition lab)
    {
        var (nodes, edges) = Build(lab);
        var b = new StringBuilder();
        b.Append("graph \"").Append(lab.Name).AppendLine("\" {");
        b.AppendLine("  graph [rankdir=LR, fontname=\"Helvetica\"];");
        b.AppendLine("  node [fontname=\"Helvetica\", fontsize=11];");
        b.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9];");
        foreach (var n in nodes)
            b.AppendLine($"  \"{n.Id}\" [label=\"{n.Label.Replace("\n", "\\n")}\", shape={n.Shape}];");
        foreach (var e in edges)
        {
            var style = e.Kind switch
            {
                EdgeKind.Substrate => "color=gray40",
                EdgeKind.Attachment => "style=dashed, color=gray60",
                _ => "color=\"#1f77b4\", penwidth=2.5, fontcolor=\"#1f77b4\"",
            };
            b.AppendLine($"  \"{e.From}\" -- \"{e.To}\" [label=\"{e.Label}\", {style}];");
        }
        b.AppendLine("}");
        return b.ToString();
    }

    /// <summary>The lab as a Mermaid flowchart (renders in Markdown viewers that know Mermaid).</summary>
    public static string Mermaid(LabDefinition lab)
    {
        var (nodes, edges) = Build(lab);
        var b = new StringBuilder();
        b.AppendLine("flowchart LR");
        foreach (var n in nodes)
        {
            var label = n.Label.Replace("\n", "<br/>").Replace("\"", "'");
            var (open, close) = n.Shape switch
            {
                "box" => ("[\"", "\"]"),
                "ellipse" => ("([\"", "\"])"),
                "diamond" => ("{\"", "\"}"),
                _ => ("((\"", "\"))"),
            };
            b.AppendLine($"  {Id(n.Id)}{open}{label}{close}");
        }
        foreach (var e in edges)
        {
            var arrow = e.Kind switch { EdgeKind.Substrate => "---", EdgeKind.Attachment => "-.-", _ => "===" };
            b.AppendLine(e.Label.Length == 0 ? $"  {Id(e.From)} {arrow} {Id(e.To)}" : $"  {Id(e.From)} {arrow}|\"{e.Label}\"| {Id(e.To)}");
        }
        return b.ToString();

        static string Id(string id) => id.Replace('-', '_').Replace(':', '_');
    }

    private static (List<Node>, List<Edge>) Build(LabDefinition lab)
    {
        var nodes = new List<Node>();
        var edges = new List<Edge>();
        foreach (var r in lab.Routers)
            nodes.Add(new Node(r.Name, $"{r.Name} (router{(r.Multicast ? ", multicast" : "")})", "box"));
        foreach (var h in lab.Hosts)
            nodes.Add(new Node(h.Name, $"{h.Name} (vnetd)\n{h.Address}", "box"));
        foreach (var v in lab.Vms)
            nodes.Add(new Node(v.Name, v.Address is null ? v.Name : $"{v.Name}\n{v.Address}/{v.PrefixLength}", "ellipse"));
        foreach (var subnet in lab.Subnets)
        {
            var members = subnet.ToList();
            var label = $"{subnet.Key} {Network(members[0])}";
            if (members.Count == 2)
            {
                edges.Add(new Edge(members[0].Node, members[1].Node, label, EdgeKind.Substrate));
                continue;
            }
            var sw = "subnet:" + subnet.Key;
            nodes.Add(new Node(sw, label, "circle"));
            foreach (var m in members) edges.Add(new Edge(m.Node, sw, m.Address.ToString(), EdgeKind.Substrate));
        }
        foreach (var v in lab.Vms) edges.Add(new Edge(v.Host, v.Name, "", EdgeKind.Attachment));
        foreach (var link in lab.Network.Links)
        {
            var label = $"{link.Id} {link.Kind.Name()}";
            if (!link.Kind.IsMultipoint() && link.Vms.Length == 2)
            {
                edges.Add(new Edge(link.Vms[0], link.Vms[1], label, EdgeKind.Link));
                continue;
            }
            var segment = "link:" + link.Id;
            nodes.Add(new Node(segment, label, "diamond"));
            foreach (var vm in link.Vms) edges.Add(new Edge(vm, segment, "", EdgeKind.Link));
        }
        return (nodes, edges);
    }

    private static string Network(LabInterface i)
    {
        var bytes = i.Address.GetAddressBytes();
        var mask = i.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - i.PrefixLength);
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]) & mask;
        return $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}/{i.PrefixLength}";
    }
}
