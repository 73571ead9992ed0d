using System.Collections.Immutable;
using System.Globalization;
using VNet.Actors.Commands;
using VNet.Host.Console;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>
/// The lab verbs that look at a running lab: <c>list</c>, <c>inspect</c>, <c>pingall</c>, <c>iperf</c>,
/// <c>graph</c>, and the one way every lab verb names its lab (<c>-L ID</c> or <c>--lab ID</c>).
/// </summary>
public static class LabVerbs
{
    /// <summary>
    /// Takes <c>-L ID</c> / <c>--lab ID</c> out of <paramref name="args"/>: the lab it names, or the only
    /// running lab when none is named. Throws a usage error that says which labs run otherwise.
    /// </summary>
    public static LabState SelectLab(string verb, ref string[] args)
    {
        string? id = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-L" or "--lab")
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith('-'))
                    throw new CommandException($"lab {verb}: {args[i]} needs a lab id ({Running()})", ExitCodes.Usage);
                id = args[++i];
            }
            else if (args[i] == "--") { rest.AddRange(args[i..]); break; }
            else rest.Add(args[i]);
        }
        args = [.. rest];
        var running = LabState.Running();
        if (id is not null)
            return LabState.Read(id) ?? throw new CommandException($"lab {verb}: no running lab '{id}' ({Running()})");
        return running.Count switch
        {
            0 => throw new CommandException($"lab {verb}: no lab is up (`vnet lab up FILE` builds one)"),
            1 => running[0],
            _ => throw new CommandException($"lab {verb}: several labs are up, name one with -L ID ({Running()})", ExitCodes.Usage),
        };
    }

    private static string Running()
    {
        var running = LabState.Running();
        return running.Count == 0 ? "no lab is up" : "running: " + string.Join(", ", running.Select(r => r.Id));
    }

    /// <summary><c>lab list</c>: the labs whose namespaces exist, with a header; stale state is mentioned, not listed.</summary>
    public static int List(TextWriter output)
    {
        var probe = new SystemLabProbe();
        var all = LabState.Running();
        var live = all.Where(s => s.Namespaces.Any(probe.NamespaceExists)).ToList();
        var stale = all.Except(live).ToList();
        if (live.Count == 0) output.WriteLine("no lab is up");
        else
            output.WriteLine(TableRenderer.Render(new ConsoleLine.Table(null, ["id", "lab", "hosts", "vnetd up", "file"],
                [.. live.Select(s => ImmutableArray.Create(s.Id, s.Name, string.Join(",", s.Hosts.Select(h => h.Name)),
                    $"{s.Hosts.Count(h => s.Processes.FirstOrDefault(p => p.Name == $"vnetd-{h.Name}") is { } p && probe.Alive(p.Pid))}/{s.Hosts.Length}", s.File))])));
        if (stale.Count > 0)
            output.WriteLine($"({stale.Count} lab state(s) without namespaces under {Path.Combine(LabState.RunRoot, "labs")}: {string.Join(", ", stale.Select(s => s.Id))}; `vnet lab down ID` removes them)");
        return 0;
    }

    /// <summary><c>lab inspect [-L ID] [--json]</c>: every node with its namespace, process, liveness, addresses and links.</summary>
    public static int Inspect(string[] args, TextWriter output)
    {
        var state = SelectLab("inspect", ref args);
        var json = Switches("inspect", args, flags: ["--json"]).ContainsKey("--json");
        var lab = LabFile.Load(state.File);
        var nodes = LabInspect.Nodes(lab, state, new SystemLabProbe());
        if (json)
        {
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { lab = state.Id, name = state.Name, prefix = state.Prefix, file = state.File, nodes }, ConsoleLine.DataOptions));
            return 0;
        }
        output.WriteLine(TableRenderer.Render(new ConsoleLine.Table($"lab {state.Id} ({state.Name}, {state.File})", ["node", "kind", "namespace", "pid", "alive", "addresses", "links"],
            [.. nodes.Select(n => ImmutableArray.Create(n.Node, n.Kind, n.Namespace, n.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-", n.Alive ? "yes" : "NO",
                n.Addresses.IsEmpty ? "-" : string.Join(", ", n.Addresses), n.Links.IsEmpty ? "-" : string.Join(",", n.Links)))])));
        foreach (var h in state.Hosts) output.WriteLine($"console of {h.Name}: vnet -S {h.Socket} PALETTE COMMAND");
        return nodes.All(n => n.Alive) ? 0 : ExitCodes.Failed;
    }

    /// <summary><c>lab pingall [-L ID] [--count N]</c>: every VM pings every other VM of its subnet; exit 1 when a pair gets no answer.</summary>
    public static int PingAll(string[] args, TextWriter output)
    {
        var state = SelectLab("pingall", ref args);
        var switches = Switches("pingall", args, values: ["--count"]);
        var count = switches.TryGetValue("--count", out var c) ? ParseInt("pingall", "--count", c, 1, 100) : 3;
        var lab = LabFile.Load(state.File);
        var pairs = LabInspect.PingPairs(lab).ToList();
        if (pairs.Count == 0) { output.WriteLine($"lab {state.Id}: no two VMs share a subnet with addresses; nothing to ping"); return 0; }
        var rows = new List<ImmutableArray<string>>();
        var failed = 0;
        foreach (var (from, to) in pairs)
        {
            var r = Measurements.Ping(state.Prefix + from.Name, to.Address!.ToString(), count, 0.2);
            if (r.Received == 0) failed++;
            var link = lab.Network.Links.FirstOrDefault(l => l.Vms.Contains(from.Name) && l.Vms.Contains(to.Name))?.Id ?? "-";
            rows.Add([from.Name, to.Name, to.Address.ToString(), link, $"{r.Received}/{r.Sent}", r.Received == 0 ? "-" : r.AvgMs.ToString("0.000", CultureInfo.InvariantCulture)]);
        }
        output.WriteLine(TableRenderer.Render(new ConsoleLine.Table(null, ["from", "to", "address", "link", "replies", "avg ms"], [.. rows])));
        output.WriteLine(failed == 0 ? $"{pairs.Count} pair(s), every one answered" : $"{pairs.Count} pair(s), {failed} without an answer");
        return failed == 0 ? 0 : ExitCodes.Failed;
    }

    /// <summary><c>lab iperf VM VM [-L ID] [--seconds N] [--udp RATE]</c>: iperf3 from the first VM to the second.</summary>
    public static int Iperf(string[] args, TextWriter output)
    {
        var state = SelectLab("iperf", ref args);
        var switches = Switches("iperf", args, values: ["--seconds", "--udp"], positional: 2);
        var lab = LabFile.Load(state.File);
        var client = Vm(lab, switches["0"]);
        var server = Vm(lab, switches["1"]);
        if (server.Address is null) throw new CommandException($"lab iperf: VM {server.Name} has no address in {state.File}", ExitCodes.Usage);
        var seconds = switches.TryGetValue("--seconds", out var s) ? ParseInt("iperf", "--seconds", s, 1, 3600) : 5;
        long? udp = null;
        if (switches.TryGetValue("--udp", out var rate))
            udp = Units.TryParseBitRate(rate, out var bits) && bits > 0 ? bits : throw new CommandException($"lab iperf: --udp '{rate}' is not a rate such as 100M", ExitCodes.Usage);
        output.WriteLine($"iperf3 {(udp is null ? "TCP" : $"UDP at {Units.FormatBitRate(udp.Value)}")} {client.Name} -> {server.Name} ({server.Address}) for {seconds} s ...");
        var r = Measurements.Iperf(state.Prefix + server.Name, state.Prefix + client.Name, server.Address.ToString(), seconds, udp, logDirectory: state.Directory);
        var row = udp is null
            ? ImmutableArray.Create(client.Name, server.Name, Units.FormatBitRate((long)r.SentBitsPerSecond), Units.FormatBitRate((long)r.ReceivedBitsPerSecond), r.Retransmits.ToString(CultureInfo.InvariantCulture), "-", "-")
            : ImmutableArray.Create(client.Name, server.Name, Units.FormatBitRate((long)r.SentBitsPerSecond), Units.FormatBitRate((long)r.ReceivedBitsPerSecond), "-",
                r.LostPercent.ToString("0.00", CultureInfo.InvariantCulture), r.JitterMs.ToString("0.000", CultureInfo.InvariantCulture));
        output.WriteLine(TableRenderer.Render(new ConsoleLine.Table(null, ["from", "to", "sent bit/s", "received bit/s", "retransmits", "loss %", "jitter ms"], [row])));
        return 0;
    }

    /// <summary><c>lab graph [FILE | -L ID] [--format dot|mermaid]</c>: the lab as a graph, on standard output.</summary>
    public static int Graph(string[] args, TextWriter output)
    {
        // A lab file needs no running lab; -L (or nothing) draws the lab that is up.
        var named = args.Any(a => a is "-L" or "--lab");
        var state = named ? SelectLab("graph", ref args) : null;
        var switches = Switches("graph", args, values: ["--format"], positional: -1);
        var file = state?.File ?? (switches.TryGetValue("0", out var f) ? Cli.ResolveLabFile(f) : SelectLab("graph", ref args).File);
        var format = switches.GetValueOrDefault("--format", "dot");
        if (!LabGraph.Formats.Contains(format)) throw new CommandException($"lab graph: --format '{format}' must be {string.Join(" or ", LabGraph.Formats)}", ExitCodes.Usage);
        var lab = LabFile.Load(file);
        output.Write(format == "dot" ? LabGraph.Dot(lab) : LabGraph.Mermaid(lab));
        return 0;
    }

    private static LabVm Vm(LabDefinition lab, string name) =>
        lab.Vms.FirstOrDefault(v => v.Name == name) ?? throw new CommandException($"lab has no VM '{name}' (VMs: {string.Join(", ", lab.Vms.Select(v => v.Name))})", ExitCodes.Usage);

    private static int ParseInt(string verb, string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new CommandException($"lab {verb}: {name} '{text}' is not a whole number in {min}-{max}", ExitCodes.Usage);

    /// <summary>
    /// Reads switches: <paramref name="flags"/> alone, <paramref name="values"/> with a value; positional
    /// words are returned under "0", "1"… — exactly <paramref name="positional"/> of them (-1: at most one).
    /// Anything else is a usage error that names it.
    /// </summary>
    private static Dictionary<string, string> Switches(string verb, string[] args, string[]? flags = null, string[]? values = null, int positional = 0)
    {
        var found = new Dictionary<string, string>();
        var words = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (flags?.Contains(a) == true) found[a] = "";
            else if (values?.Contains(a) == true)
            {
                if (i + 1 >= args.Length) throw new CommandException($"lab {verb}: {a} needs a value", ExitCodes.Usage);
                found[a] = args[++i];
            }
            else if (a.StartsWith('-')) throw new CommandException($"lab {verb}: unknown switch '{a}' (switches: {string.Join(", ", (flags ?? []).Concat(values ?? []).Append("-L ID"))})", ExitCodes.Usage);
            else if (positional == -1 && words == 0 || words < positional) found[(words++).ToString(CultureInfo.InvariantCulture)] = a;
            else throw new CommandException($"lab {verb}: unexpected '{a}'", ExitCodes.Usage);
        }
        if (positional > 0 && words < positional) throw new CommandException($"lab {verb}: expected {positional} name(s), got {words}", ExitCodes.Usage);
        return found;
    }
}
