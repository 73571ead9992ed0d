using System.Collections.Immutable;
using System.Globalization;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Console;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>
/// The lab verbs that look at a running lab: <c>list</c>, <c>inspect</c>, <c>pingall</c>, <c>iperf</c>,
/// <c>graph</c>, and the one way every lab verb finds its lab (<c>-L ID</c> or <c>--lab ID</c>, or the only one up).
/// </summary>
public static class LabVerbs
{
    /// <summary>
    /// The lab <paramref name="id"/> names (<c>-L ID</c> / <c>--lab ID</c>), or the only running lab when
    /// none is named. Throws an error that says which labs run otherwise.
    /// </summary>
    public static LabState SelectLab(string verb, string? id)
    {
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
            TableRenderer.WriteTable(new ConsoleLine.Table(null, ["id", "lab", "hosts", "vnetd up", "file"],
                [.. live.Select(s => ImmutableArray.Create(s.Id, s.Name, string.Join(",", s.Hosts.Select(h => h.Name)),
                    $"{s.Hosts.Count(h => s.Processes.FirstOrDefault(p => p.Name == $"vnetd-{h.Name}") is { } p && probe.Alive(p.Pid))}/{s.Hosts.Length}", s.File))]), output);
        if (stale.Count > 0)
            output.WriteLine($"({stale.Count} lab state(s) without namespaces under {Path.Combine(LabState.RunRoot, "labs")}: {string.Join(", ", stale.Select(s => s.Id))}; `vnet lab down ID` removes them)");
        return 0;
    }

    /// <summary><c>lab inspect [-L ID] [--json]</c>: every node with its namespace, process, liveness, addresses and links.</summary>
    public static int Inspect(LabState state, bool json, TextWriter output)
    {
        var lab = LabFile.Load(state.File);
        var nodes = LabInspect.Nodes(lab, state, new SystemLabProbe());
        if (json)
        {
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { lab = state.Id, name = state.Name, prefix = state.Prefix, file = state.File, nodes }, ConsoleLine.DataOptions));
            return 0;
        }
        TableRenderer.WriteTable(new ConsoleLine.Table($"lab {state.Id} ({state.Name}, {state.File})", ["node", "kind", "namespace", "pid", "alive", "addresses", "links"],
            [.. nodes.Select(n => ImmutableArray.Create(n.Node, n.Kind, n.Namespace, n.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-", n.Alive ? "yes" : "NO",
                n.Addresses.IsEmpty ? "-" : string.Join(", ", n.Addresses), n.Links.IsEmpty ? "-" : string.Join(",", n.Links)))]), output);
        foreach (var h in state.Hosts) output.WriteLine($"console of {h.Name}: vnet -S {h.Socket} PALETTE COMMAND");
        return nodes.All(n => n.Alive) ? 0 : ExitCodes.Failed;
    }

    /// <summary><c>lab pingall [-L ID] [--count N]</c>: every VM pings every other VM of its subnet; exit 1 when a pair gets no answer.</summary>
    public static int PingAll(LabState state, int count, TextWriter output)
    {
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
        TableRenderer.WriteTable(new ConsoleLine.Table(null, ["from", "to", "address", "link", "replies", "avg ms"], [.. rows]), output);
        output.WriteLine(failed == 0 ? $"{pairs.Count} pair(s), every one answered" : $"{pairs.Count} pair(s), {failed} without an answer");
        return failed == 0 ? 0 : ExitCodes.Failed;
    }

    /// <summary><c>lab iperf VM VM [-L ID] [--seconds N] [--udp RATE]</c>: iperf3 from the first VM to the second.</summary>
    public static int Iperf(LabState state, string from, string to, int seconds, string? udpRate, TextWriter output)
    {
        var lab = LabFile.Load(state.File);
        var client = Vm(lab, from);
        var server = Vm(lab, to);
        if (server.Address is null) throw new CommandException($"lab iperf: VM {server.Name} has no address in {state.File}", ExitCodes.Usage);
        long? udp = null;
        if (udpRate is not null)
            udp = Units.TryParseBitRate(udpRate, out var bits) && bits > 0 ? bits : throw new CommandException($"lab iperf: --udp '{udpRate}' is not a rate such as 100M", ExitCodes.Usage);
        output.WriteLine($"iperf3 {(udp is null ? "TCP" : $"UDP at {Units.FormatBitRate(udp.Value)}")} {client.Name} -> {server.Name} ({server.Address}) for {seconds} s ...");
        var r = Measurements.Iperf(state.Prefix + server.Name, state.Prefix + client.Name, server.Address.ToString(), seconds, udp, logDirectory: state.Directory);
        var row = udp is null
            ? ImmutableArray.Create(client.Name, server.Name, Units.FormatBitRate((long)r.SentBitsPerSecond), Units.FormatBitRate((long)r.ReceivedBitsPerSecond), r.Retransmits.ToString(CultureInfo.InvariantCulture), "-", "-")
            : ImmutableArray.Create(client.Name, server.Name, Units.FormatBitRate((long)r.SentBitsPerSecond), Units.FormatBitRate((long)r.ReceivedBitsPerSecond), "-",
                r.LostPercent.ToString("0.00", CultureInfo.InvariantCulture), r.JitterMs.ToString("0.000", CultureInfo.InvariantCulture));
        TableRenderer.WriteTable(new ConsoleLine.Table(null, ["from", "to", "sent bit/s", "received bit/s", "retransmits", "loss %", "jitter ms"], [row]), output);
        return 0;
    }

    /// <summary>
    /// <c>lab graph [FILE | -L ID] [--format dot|mermaid]</c>: the lab as a graph, on standard output.
    /// A lab file needs no running lab; without one, the lab <paramref name="labId"/> names (or the only one up).
    /// </summary>
    public static int Graph(string? file, string? labId, string format, TextWriter output)
    {
        if (file is not null && labId is not null) throw new CommandException("lab graph: give a lab file or -L ID, not both", ExitCodes.Usage);
        var path = file is not null ? Cli.ResolveLabFile(file) : SelectLab("graph", labId).File;
        var lab = LabFile.Load(path);
        output.Write(format == "dot" ? LabGraph.Dot(lab) : LabGraph.Mermaid(lab));
        return 0;
    }

    private static LabVm Vm(LabDefinition lab, string name) =>
        lab.Vms.FirstOrDefault(v => v.Name == name) ?? throw new CommandException($"lab has no VM '{name}' (VMs: {string.Join(", ", lab.Vms.Select(v => v.Name))})", ExitCodes.Usage);
}
