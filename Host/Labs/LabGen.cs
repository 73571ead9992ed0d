using System.Globalization;
using System.Text;
using System.Xml.Linq;
using VNet.Client;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>How <see cref="LabGen"/> spreads the links over the hosts.</summary>
public enum LabLayout
{
    /// <summary>Every host has the same number of VMs; link i joins two hosts, the pairs taken in turn so every host carries about as many links.</summary>
    Mesh,

    /// <summary>The first host holds one end of every link; the other ends are spread over the other hosts in turn.</summary>
    Star,
}

/// <summary>What a generated lab holds.</summary>
/// <param name="Hosts">Hosts h1..hN on one substrate subnet behind router r.</param>
/// <param name="VmsPerHost">VMs per host (mesh); for a star, the first host gets one VM per link and the others what their share needs.</param>
/// <param name="Links">Point-to-point links; 0 = as many as the VMs allow (mesh: hosts × VMs / 2).</param>
public sealed record LabGenOptions(int Hosts, int VmsPerHost, int Links = 0)
{
    /// <summary>The lab's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The kind of every link (a point-to-point kind).</summary>
    public LinkKind Kind { get; init; } = LinkKind.RawP2P;

    /// <summary>How the links are spread.</summary>
    public LabLayout Layout { get; init; } = LabLayout.Mesh;

    /// <summary>Most hosts a generated lab has (one /24 substrate subnet).</summary>
    public const int MaxHosts = 250;

    /// <summary>Most links a generated lab has (a /30 of 10.192.0.0/10 each).</summary>
    public const int MaxLinks = 100_000;

    /// <summary>Every problem with these options, naming the switch; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (Hosts is < 2 or > MaxHosts) yield return $"--hosts {Hosts} is out of range 2-{MaxHosts}";
        if (VmsPerHost is < 1 or > 60_000) yield return $"--vms-per-host {VmsPerHost} is out of range 1-60000";
        if (Links is < 0 or > MaxLinks) yield return $"--links {Links} is out of range 0-{MaxLinks} (0: as many as the VMs allow)";
        if (Kind.IsMultipoint()) yield return $"--kind {Kind.Name()}: a generated lab has point-to-point links only (raw-p2p, udp-p2p)";
        if (Layout == LabLayout.Mesh && Hosts >= 2 && VmsPerHost >= 1 && Links > (long)Hosts * VmsPerHost / 2)
            yield return $"--links {Links}: {Hosts} hosts with {VmsPerHost} VMs each hold at most {(long)Hosts * VmsPerHost / 2} links (a VM NIC is on one link)";
        if (Layout == LabLayout.Star && Links == 0) yield return "--layout star needs --links N";
        if (Name.Length > 24 || Name.Length > 0 && !Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')) yield return $"--name '{Name}' is not a lab name (1-24 lowercase letters, digits, '-')";
    }
}

/// <summary>
/// <c>vnet lab gen</c>: writes a lab file for a large lab — N hosts on one substrate subnet, K VMs per
/// host, and point-to-point links between VMs of different hosts, each link its own /30 so the two
/// VMs of a link ping each other. Pure: the same options give the same file.
/// </summary>
public static class LabGen
{
    /// <summary>
    /// Runs <c>lab gen</c>: checks <paramref name="options"/>, writes the lab file to
    /// <paramref name="outFile"/> (or to <paramref name="output"/>) and the network file to
    /// <paramref name="networkOut"/> when given; returns the exit code.
    /// </summary>
    public static int Run(LabGenOptions options, string? outFile, string? networkOut, TextWriter output)
    {
        var (hosts, kind, layout) = (options.Hosts, options.Kind, options.Layout);
        var problems = options.Problems().ToList();
        if (problems.Count > 0) throw new CommandException($"lab gen: {string.Join("; ", problems)}", ExitCodes.Usage);
        var text = Generate(options);
        if (networkOut is not null)
        {
            File.WriteAllText(networkOut, Actors.Networks.NetworkFile.Write(LabFile.Parse(text, outFile ?? "generated.xml").Network));
            output.WriteLine($"wrote {networkOut}: the network of {LinkCount(options)} links, for `vnet net load --file {networkOut}`");
        }
        if (outFile is null) { if (networkOut is null) output.Write(text); }
        else
        {
            File.WriteAllText(outFile, text);
            output.WriteLine($"wrote {outFile}: {hosts} hosts, {Vms(options).Sum(v => v.Count)} VMs, {LinkCount(options)} {kind.Name()} links ({layout.ToString().ToLowerInvariant()})");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The lab file for <paramref name="options"/> (which must be valid).</summary>
    public static string Generate(LabGenOptions options)
    {
        var problems = options.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        var vms = Vms(options);
        var pairs = Pairs(options, vms.Select(v => v.Count).ToArray());
        var name = options.Name.Length > 0 ? options.Name : $"gen-{options.Hosts}x{options.VmsPerHost}";
        // Addresses of the two VMs of link i: the i-th /30 of 10.192.0.0/10 (.1 and .2).
        string VmAddress(int link, int end)
        {
            var a = (10u << 24 | 192u << 16) + (uint)link * 4 + (uint)end + 1;
            return $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}/30";
        }
        var addressOf = new Dictionary<(int Host, int Vm), string>();
        for (var i = 0; i < pairs.Count; i++)
        {
            addressOf[pairs[i].A] = VmAddress(i, 0);
            addressOf[pairs[i].B] = VmAddress(i, 1);
        }
        var lab = new XElement("lab", new XAttribute("name", name),
            new XElement("router", new XAttribute("name", "r"),
                new XElement("interface", new XAttribute("name", "lan"), new XAttribute("subnet", "lan"), new XAttribute("address", "192.0.2.1/24"))));
        for (var h = 0; h < options.Hosts; h++)
        {
            var host = new XElement("host", new XAttribute("name", HostName(h)),
                new XElement("interface", new XAttribute("name", "eth0"), new XAttribute("subnet", "lan"),
                    new XAttribute("address", $"192.0.2.{h + 10}/24"), new XAttribute("gateway", "192.0.2.1")));
            for (var v = 0; v < vms[h].Count; v++)
            {
                var vm = new XElement("vm", new XAttribute("name", VmName(h, v)), new XAttribute("mac", Mac(h, v)));
                if (addressOf.TryGetValue((h, v), out var address)) vm.Add(new XAttribute("address", address));
                host.Add(vm);
            }
            lab.Add(host);
        }
        var network = new XElement("network");
        for (var i = 0; i < pairs.Count; i++)
            network.Add(new XElement("link", new XAttribute("id", $"l{i + 1}"), new XAttribute("kind", options.Kind.Name()),
                new XElement("end", new XAttribute("vm", VmName(pairs[i].A.Host, pairs[i].A.Vm))),
                new XElement("end", new XAttribute("vm", VmName(pairs[i].B.Host, pairs[i].B.Vm)))));
        lab.Add(network);
        var header = $" Generated by vnet lab gen: {options.Hosts} hosts on 192.0.2.0/24 behind router r (192.0.2.1), host hN at 192.0.2.(N+9),\n" +
                     $"  VM hNvM with MAC 02:00:HH:HH:VV:VV; {pairs.Count} {options.Kind.Name()} links ({options.Layout.ToString().ToLowerInvariant()}), link lI joining two VMs\n" +
                     "  of different hosts on the I-th /30 of 10.192.0.0/10. ";
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), new XComment(header), lab);
        var sb = new StringBuilder();
        using (var writer = new Utf8StringWriter(sb)) document.Save(writer);
        return sb.AppendLine().ToString();
    }

    /// <summary>How many links <paramref name="options"/> make.</summary>
    public static int LinkCount(LabGenOptions options) => options.Links > 0 ? options.Links : options.Hosts * options.VmsPerHost / 2;

    /// <summary>Host <paramref name="index"/> (from 0): h1, h2, …</summary>
    public static string HostName(int index) => $"h{index + 1}";

    /// <summary>VM <paramref name="vm"/> of host <paramref name="host"/> (both from 0): h1v1, h1v2, …</summary>
    public static string VmName(int host, int vm) => $"h{host + 1}v{vm + 1}";

    private static string Mac(int host, int vm) => $"02:00:{(host + 1) >> 8:x2}:{(host + 1) & 255:x2}:{(vm + 1) >> 8:x2}:{(vm + 1) & 255:x2}";

    private static List<(int Host, int Count)> Vms(LabGenOptions options)
    {
        if (options.Layout == LabLayout.Mesh) return [.. Enumerable.Range(0, options.Hosts).Select(h => (h, options.VmsPerHost))];
        var others = options.Hosts - 1;
        return [.. Enumerable.Range(0, options.Hosts).Select(h => (h, h == 0 ? options.Links : (options.Links + others - h) / others))];
    }

    /// <summary>The links as pairs of (host, VM): each VM on at most one link, the two ends on different hosts.</summary>
    private static List<((int Host, int Vm) A, (int Host, int Vm) B)> Pairs(LabGenOptions options, int[] vmCounts)
    {
        var links = LinkCount(options);
        var next = new int[options.Hosts]; // the next free VM of each host
        var pairs = new List<((int, int), (int, int))>(links);
        if (options.Layout == LabLayout.Star)
        {
            for (var i = 0; i < links; i++)
            {
                var peer = 1 + i % (options.Hosts - 1);
                pairs.Add(((0, next[0]++), (peer, next[peer]++)));
            }
            return pairs;
        }
        // Mesh: host pairs (a, a+d) by growing distance d, so consecutive links land on different hosts;
        // a pair is skipped once either host has no free VM left.
        while (pairs.Count < links)
        {
            var before = pairs.Count;
            for (var d = 1; d < options.Hosts && pairs.Count < links; d++)
                for (var a = 0; a < options.Hosts && pairs.Count < links; a++)
                {
                    var b = (a + d) % options.Hosts;
                    if (next[a] >= vmCounts[a] || next[b] >= vmCounts[b]) continue;
                    pairs.Add(((a, next[a]++), (b, next[b]++)));
                }
            if (pairs.Count == before) throw new InvalidOperationException($"only {pairs.Count} of {links} links fit the VMs"); // Problems() rules this out
        }
        return pairs;
    }

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
