using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Networks;
using VNet.Host.Console;
using VNet.Host.Demo;
using VNet.Host.Experiments;
using VNet.Host.Labs;
using VNet.Host.Observability;
using VNet.Host.Trust;

namespace VNet.Host;

/// <summary>The `vnet` command line: local verbs (lab, demo) and the console client for everything else.</summary>
public static class Cli
{
    private static readonly string Usage = $"""
        usage:
          vnet demo                              build labs/two-hosts, show the cluster and link, ping + iperf3, tear down
          vnet lab up FILE [--prefix P] [--no-links] [--no-seeds]
                                                 build a lab and start its vnetd nodes (--no-seeds: they
                                                 find each other by discovery)
          vnet lab stop|kill|start|restart HOST [-L ID]
                                                 stop (TERM), kill (-9), start or restart one host's vnetd
          vnet lab cut|heal HOST [-L ID]         cut a host off the substrate (a partition; vnetd keeps
                                                 running), and end the cut
          vnet lab down [ID|FILE]                tear a lab down (the only running lab when omitted)
          vnet lab exec NODE [-L ID] -- CMD      run CMD in a lab namespace (VM, host or router)
          vnet lab list                          the labs that are up
          vnet lab inspect [-L ID] [--json]      every node: namespace, vnetd pid, alive, addresses, links
          vnet lab pingall [-L ID] [--count N]   every VM pings every VM of its subnet
          vnet lab iperf VM VM [-L ID] [--seconds N] [--udp RATE]
                                                 iperf3 from the first VM to the second
          vnet lab graph [FILE | -L ID] [--format dot|mermaid]
                                                 the lab as a graph (| dot -Tsvg > lab.svg)
        {LabGen.Usage}
        {ExperimentCli.Usage}
          vnet pki init [--dir DIR] [--name CLUSTER]
                                                 create the cluster's authority (ca.crt, ca.key) and cluster.key
                                                 in DIR (default /etc/vnet/pki)
          vnet pki issue NAME [--dir DIR] [--address IP]... [--out DIR]
                                                 a certificate for host NAME (or an operator's console
                                                 certificate) signed by the authority: NAME.crt, NAME.key
          vnet [-H host:port | -S socket | -L lab] [--json] PALETTE COMMAND [--switch value]...
          vnet [-H ...]                          interactive console; `help` lists the node's palettes
                                                 -H to a node off loopback is TLS with a client certificate:
                                                 --pki DIR (ca.crt, NAME.crt, NAME.key; default /etc/vnet/pki
                                                 or $VNET_PKI) --cert NAME (default console or $VNET_CERT)
        """ + "\n" + ObservabilityCli.Usage;

    /// <summary>Runs the CLI; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["--help" or "-h"] => Print(Usage),
                ["demo", .. var rest] => await DemoRunner.RunAsync(rest, System.Console.Out),
                ["lab", "up", .. var rest] => await LabUp(rest),
                ["lab", "down", .. var rest] => LabDown(rest),
                ["lab", "exec", .. var rest] => LabExec(rest),
                ["lab", "list"] => LabVerbs.List(System.Console.Out),
                ["lab", "inspect", .. var rest] => LabVerbs.Inspect(rest, System.Console.Out),
                ["lab", "pingall", .. var rest] => LabVerbs.PingAll(rest, System.Console.Out),
                ["lab", "iperf", .. var rest] => LabVerbs.Iperf(rest, System.Console.Out),
                ["lab", "graph", .. var rest] => LabVerbs.Graph(rest, System.Console.Out),
                ["lab", "gen", .. var rest] => LabGen.Run(rest, System.Console.Out),
                ["lab", var verb, .. var rest] when verb is "metrics" or "top" => ObservabilityCli.InLab(verb, rest),
                ["lab", "web", .. var rest] => await ObservabilityCli.WebAsync(rest),
                ["metrics", .. var rest] => await ObservabilityCli.MetricsAsync(rest),
                ["top", .. var rest] => await ObservabilityCli.TopAsync(rest),
                ["lab", var verb, .. var rest] when verb is "stop" or "kill" or "start" or "restart" or "cut" or "heal" => LabHost(verb, rest),
                ["pki", .. var rest] => Pki(rest),
                ["experiment", .. var rest] => await ExperimentCli.RunAsync(rest, System.Console.Out, System.Console.Error),
                ["lab", ..] => Fail(ExitCodes.Usage, "lab: expected up, down, exec, list, inspect, pingall, iperf, graph, gen, metrics, top, web, stop, kill, start, restart, cut or heal\n" + Usage),
                _ => await ConsoleClient.RunAsync(args, System.Console.Out, System.Console.Error),
            };
        }
        catch (NetworkFileException e)
        {
            foreach (var p in e.Problems) await System.Console.Error.WriteLineAsync($"error: {p}");
            return ExitCodes.Usage;
        }
        catch (PkiException e)
        {
            return Fail(ExitCodes.Failed, e.Message);
        }
        catch (ShellException e)
        {
            return Fail(ExitCodes.Failed, e.Message);
        }
        catch (CommandException e)
        {
            return Fail(e.Exit, e.Message);
        }
    }

    private static int Print(string text)
    {
        System.Console.WriteLine(text);
        return 0;
    }

    private static int Fail(int code, string message)
    {
        System.Console.Error.WriteLine($"error: {message}");
        return code;
    }

    private static async Task<int> LabUp(string[] args)
    {
        string? file = null, prefix = null;
        var noLinks = false;
        var noSeeds = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--prefix" when i + 1 < args.Length: prefix = args[++i]; break;
                case "--no-links": noLinks = true; break;
                case "--no-seeds": noSeeds = true; break;
                default:
                    if (file is not null || args[i].StartsWith("--")) return Fail(ExitCodes.Usage, $"lab up: unexpected '{args[i]}'\n{Usage}");
                    file = args[i];
                    break;
            }
        }
        if (file is null) return Fail(ExitCodes.Usage, "lab up: which lab file? (e.g. labs/two-hosts.xml)");
        if (prefix is not null && (prefix.Length > 16 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            return Fail(ExitCodes.Usage, $"--prefix '{prefix}' must be at most 16 letters, digits or '-'");
        var lab = LabFile.Load(ResolveLabFile(file));
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        await new LabRunner(System.Console.Out).UpAsync(lab, new LabOptions { Prefix = prefix, CreateLinks = !noLinks, NoSeedNodes = noSeeds }, cancel.Token);
        return 0;
    }

    /// <summary>A lab file by path, or by name under labs/ (two-hosts → labs/two-hosts.xml).</summary>
    public static string ResolveLabFile(string file)
    {
        if (File.Exists(file)) return file;
        foreach (var dir in new[] { "labs", Path.Combine(AppContext.BaseDirectory, "labs") })
        {
            var candidate = Path.Combine(dir, file.EndsWith(".xml") ? file : file + ".xml");
            if (File.Exists(candidate)) return candidate;
        }
        return file;
    }

    private static int LabDown(string[] args)
    {
        var running = LabState.Running();
        LabState? state;
        if (args.Length == 0)
        {
            if (running.Count == 0) return Print("no lab is up");
            if (running.Count > 1) return Fail(ExitCodes.Usage, $"several labs are up ({string.Join(", ", running.Select(r => r.Id))}): name one");
            state = running[0];
        }
        else
        {
            var arg = args[0];
            state = LabState.Read(arg) ?? running.FirstOrDefault(r => Path.GetFullPath(ResolveLabFile(arg)) == r.File);
            if (state is null) return Fail(ExitCodes.Failed, $"no running lab '{arg}' (running: {(running.Count == 0 ? "none" : string.Join(", ", running.Select(r => r.Id)))})");
        }
        new LabRunner(System.Console.Out).Down(state);
        return 0;
    }

    private static int LabExec(string[] args)
    {
        var sep = Array.IndexOf(args, "--");
        if (sep < 1 || sep == args.Length - 1) return Fail(ExitCodes.Usage, "lab exec: usage `vnet lab exec NODE [-L ID] -- CMD...`");
        var before = args[..sep];
        var state = LabVerbs.SelectLab("exec", ref before);
        if (before.Length != 1) return Fail(ExitCodes.Usage, $"lab exec: expected one node before --, got {(before.Length == 0 ? "none" : string.Join(" ", before))}");
        var node = before[0];
        var ns = state.Prefix + node;
        if (!state.Namespaces.Contains(ns)) return Fail(ExitCodes.Usage, $"lab {state.Id} has no node '{node}' (nodes: {string.Join(", ", state.Namespaces.Select(n => n[state.Prefix.Length..]))})");
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns }.Concat(args[(sep + 1)..])) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private static int LabHost(string verb, string[] args)
    {
        var state = LabVerbs.SelectLab(verb, ref args);
        if (args.Length != 1) return Fail(ExitCodes.Usage, $"lab {verb}: usage `vnet lab {verb} HOST [-L ID]`");
        var host = args[0];
        if (verb == "cut")
        {
            LabRunner.CutHost(LabFile.Load(state.File), state, host);
            System.Console.WriteLine($"{host} cut off the substrate (its vnetd keeps running); `vnet lab heal {host}` ends it");
            return 0;
        }
        if (verb == "heal")
        {
            LabRunner.HealHost(state, host);
            System.Console.WriteLine($"{host}'s substrate interfaces pass traffic again");
            return 0;
        }
        if (verb is "stop" or "kill" or "restart")
        {
            state = LabRunner.StopHost(state, host, kill: verb == "kill");
            System.Console.WriteLine($"vnetd of {host} {(verb == "kill" ? "killed (-9)" : "stopped")}");
        }
        if (verb is "start" or "restart")
        {
            state = LabRunner.StartHost(LabFile.Load(state.File), state, host);
            System.Console.WriteLine($"vnetd of {host} started (pid {state.Processes.First(p => p.Name == $"vnetd-{host}").Pid}); it joins the cluster of the others");
        }
        return 0;
    }

    private static int Pki(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("init" or "issue"))
            return Fail(ExitCodes.Usage, "pki: expected `pki init [--dir DIR]` or `pki issue NAME [--dir DIR] [--address IP]...`");
        var verb = args[0];
        string dir = "/etc/vnet/pki", cluster = "vnet";
        string? name = null, output = null;
        var addresses = new List<System.Net.IPAddress>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: dir = args[++i]; break;
                case "--name" when i + 1 < args.Length && verb == "init": cluster = args[++i]; break;
                case "--out" when i + 1 < args.Length && verb == "issue": output = args[++i]; break;
                case "--address" when i + 1 < args.Length && verb == "issue":
                    if (!System.Net.IPAddress.TryParse(args[++i], out var ip)) return Fail(ExitCodes.Usage, $"pki issue: --address '{args[i]}' is not an IP address");
                    addresses.Add(ip);
                    break;
                case var a when verb == "issue" && name is null && !a.StartsWith('-'): name = a; break;
                default: return Fail(ExitCodes.Usage, $"pki {verb}: unexpected '{args[i]}'");
            }
        }
        if (verb == "init")
        {
            ClusterPki.Init(dir, cluster);
            return Print($"cluster authority created in {dir}: ca.crt (give it to every node), ca.key (keep it off the nodes), cluster.key (give it to every node)");
        }
        if (name is null) return Fail(ExitCodes.Usage, "pki issue: which name? (a host name as vnet.host.name, or e.g. `console` for an operator)");
        var crt = ClusterPki.Issue(dir, name, addresses, output);
        return Print($"issued {crt} and {Path.ChangeExtension(crt, ".key")} (signed by {Path.Combine(dir, ClusterPki.CaCertificateFile)})");
    }
}
