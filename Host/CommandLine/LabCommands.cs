using System.CommandLine;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Messages;
using VNet.Host.Labs;
using VNet.Host.Observability;

namespace VNet.Host.CommandLine;

/// <summary>
/// <c>vnet lab …</c>: build, look at, disturb and tear down labs (nodes in network namespaces on
/// this machine). Every verb that works on a running lab takes <c>-L/--lab ID</c>, and uses the
/// only lab that is up when it is left out.
/// </summary>
public static class LabCommands
{
    /// <summary>The <c>lab</c> command and its verbs.</summary>
    public static Command Build(TextWriter output)
    {
        var lab = new Command("lab", "labs on this machine: vnetd nodes, VMs and routers in network namespaces, from a lab file (labs/*.xml)");
        lab.Subcommands.Add(Up(output));
        lab.Subcommands.Add(Down(output));
        lab.Subcommands.Add(Exec());
        lab.Subcommands.Add(Simple("list", "the labs that are up (whose namespaces exist), with a header", _ => LabVerbs.List(output)));
        lab.Subcommands.Add(Inspect(output));
        lab.Subcommands.Add(PingAll(output));
        lab.Subcommands.Add(Iperf(output));
        lab.Subcommands.Add(Graph(output));
        lab.Subcommands.Add(Gen(output));
        lab.Subcommands.Add(Metrics());
        lab.Subcommands.Add(Top());
        lab.Subcommands.Add(Web());
        foreach (var (verb, description) in HostVerbs) lab.Subcommands.Add(HostVerb(verb, description, output));
        return lab;
    }

    private static readonly (string Verb, string Description)[] HostVerbs =
    [
        ("stop", "stop one host's vnetd (SIGTERM, a clean leave)"),
        ("kill", "kill one host's vnetd (SIGKILL: a crash, as the others see it)"),
        ("start", "start one host's vnetd again; it joins the cluster of the others"),
        ("restart", "stop and start one host's vnetd"),
        ("cut", "cut one host off the substrate (a partition; its vnetd keeps running)"),
        ("heal", "end the cut of one host"),
    ];

    private static Command Simple(string name, string description, Func<ParseResult, int> action)
    {
        var command = new Command(name, description);
        command.SetAction(action);
        return command;
    }

    private static Command Up(TextWriter output)
    {
        var file = new Argument<string>("FILE") { Description = "a lab file, or its name under labs/ (two-hosts for labs/two-hosts.xml)" };
        var prefix = new Option<string>("--prefix") { Description = "namespace prefix, at most 16 letters, digits or '-' (default: one of its own per lab)", HelpName = "P" };
        var noLinks = new Option<bool>("--no-links") { Description = "create none of the lab file's links" };
        var noSeeds = new Option<bool>("--no-seeds") { Description = "no seed nodes: the vnetd nodes find each other by discovery" };
        var command = new Command("up", "build a lab and start its vnetd nodes; Ctrl-C while it comes up removes what was built") { file, prefix, noLinks, noSeeds };
        command.SetAction(async (r, _) =>
        {
            var p = r.GetValue(prefix);
            if (p is not null && (p.Length > 16 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
                throw new CommandException($"lab up: --prefix '{p}' must be at most 16 letters, digits or '-'", ExitCodes.Usage);
            var definition = LabFile.Load(Cli.ResolveLabFile(r.GetValue(file)!));
            using var cancel = new CancellationTokenSource();
            System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            await new LabRunner(output).UpAsync(definition, new LabOptions { Prefix = p, CreateLinks = !r.GetValue(noLinks), NoSeedNodes = r.GetValue(noSeeds) }, cancel.Token);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Down(TextWriter output)
    {
        var which = new Argument<string?>("ID|FILE") { Description = "the lab's id, or the lab file it was built from", Arity = ArgumentArity.ZeroOrOne };
        var labOption = GlobalOptions.LabOption("the lab to tear down");
        var command = new Command("down", "tear a lab down: its vnetd nodes, namespaces and state") { which, labOption };
        command.SetAction(r =>
        {
            var arg = r.GetValue(which) ?? r.GetValue(labOption);
            var running = LabState.Running();
            LabState? state;
            if (arg is null)
            {
                if (running.Count == 0) { output.WriteLine("no lab is up"); return ExitCodes.Ok; }
                state = LabVerbs.SelectLab("down", null);
            }
            else
            {
                state = LabState.Read(arg) ?? running.FirstOrDefault(s => Path.GetFullPath(Cli.ResolveLabFile(arg)) == s.File);
                if (state is null) throw new CommandException($"lab down: no running lab '{arg}'{Suggestions.DidYouMean(arg, running.Select(s => s.Id))} (running: {(running.Count == 0 ? "none" : string.Join(", ", running.Select(s => s.Id)))})");
            }
            new LabRunner(output).Down(state);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Exec()
    {
        var node = new Argument<string>("NODE") { Description = "a VM, host or router of the lab" };
        var commandLine = new Argument<string[]>("CMD") { Description = "the command to run in the node's namespace, after --", Arity = ArgumentArity.OneOrMore };
        var labOption = GlobalOptions.LabOption("the lab of the node");
        var command = new Command("exec", "run a command in a lab namespace: vnet lab exec NODE [-L ID] -- CMD...") { node, commandLine, labOption };
        command.SetAction(r =>
        {
            var state = LabVerbs.SelectLab("exec", r.GetValue(labOption));
            var name = r.GetValue(node)!;
            var ns = state.Prefix + name;
            var nodes = state.Namespaces.Select(n => n[state.Prefix.Length..]).ToList();
            if (!state.Namespaces.Contains(ns)) throw new CommandException($"lab exec: lab {state.Id} has no node '{name}'{Suggestions.DidYouMean(name, nodes)} (nodes: {string.Join(", ", nodes)})", ExitCodes.Usage);
            var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
            foreach (var a in new[] { "netns", "exec", ns }.Concat(r.GetValue(commandLine)!)) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        });
        return command;
    }

    private static Command Inspect(TextWriter output)
    {
        var labOption = GlobalOptions.LabOption("the lab to inspect");
        var json = new Option<bool>("--json") { Description = "the nodes as JSON" };
        var command = new Command("inspect", "every node: kind, namespace, vnetd pid, alive, substrate and VM addresses, links; exit 1 when a node is down") { labOption, json };
        command.SetAction(r => LabVerbs.Inspect(LabVerbs.SelectLab("inspect", r.GetValue(labOption)), r.GetValue(json), output));
        return command;
    }

    private static Command PingAll(TextWriter output)
    {
        var labOption = GlobalOptions.LabOption("the lab whose VMs ping");
        var count = Int("--count", "pings per pair", 3, 1, 100);
        var command = new Command("pingall", "every VM pings every VM of its subnet; exit 1 when a pair gets no answer") { labOption, count };
        command.SetAction(r => LabVerbs.PingAll(LabVerbs.SelectLab("pingall", r.GetValue(labOption)), r.GetValue(count), output));
        return command;
    }

    private static Command Iperf(TextWriter output)
    {
        var from = new Argument<string>("FROM") { Description = "the VM iperf3 sends from" };
        var to = new Argument<string>("TO") { Description = "the VM that runs the iperf3 server" };
        var labOption = GlobalOptions.LabOption("the lab of the VMs");
        var seconds = Int("--seconds", "length of the run in seconds", 5, 1, 3600);
        var udp = new Option<string>("--udp") { Description = "UDP at this rate (e.g. 100M) instead of TCP", HelpName = "RATE" };
        var command = new Command("iperf", "iperf3 from the first VM to the second, through the lab's links") { from, to, labOption, seconds, udp };
        command.SetAction(r => LabVerbs.Iperf(LabVerbs.SelectLab("iperf", r.GetValue(labOption)), r.GetValue(from)!, r.GetValue(to)!, r.GetValue(seconds), r.GetValue(udp), output));
        return command;
    }

    private static Command Graph(TextWriter output)
    {
        var file = new Argument<string?>("FILE") { Description = "a lab file (needs no running lab)", Arity = ArgumentArity.ZeroOrOne };
        var labOption = GlobalOptions.LabOption("the running lab to draw");
        var format = new Option<string>("--format") { Description = "dot (| dot -Tsvg > lab.svg) or mermaid", HelpName = "FORMAT", DefaultValueFactory = _ => "dot" };
        format.AcceptOnlyFromAmong([.. LabGraph.Formats]);
        var command = new Command("graph", "the lab as a graph on standard output: hosts, VMs, routers, subnets and links") { file, labOption, format };
        command.SetAction(r => LabVerbs.Graph(r.GetValue(file), r.GetValue(labOption), r.GetValue(format)!, output));
        return command;
    }

    private static Command Gen(TextWriter output)
    {
        var hosts = new Option<int>("--hosts") { Description = $"hosts h1..hN on one substrate subnet (2-{LabGenOptions.MaxHosts})", HelpName = "N", Required = true };
        var vms = new Option<int>("--vms-per-host") { Description = "VMs per host (a star's first host gets one per link)", HelpName = "K", Required = true };
        var links = new Option<int>("--links") { Description = "point-to-point links between VMs of different hosts (0: as many as the VMs allow)", HelpName = "L" };
        var kind = new Option<string>("--kind") { Description = "the kind of every link", HelpName = "KIND", DefaultValueFactory = _ => "raw-p2p" };
        kind.AcceptOnlyFromAmong("raw-p2p", "udp-p2p");
        var layout = new Option<string>("--layout") { Description = "mesh: links spread over host pairs; star: every link on the first host", HelpName = "LAYOUT", DefaultValueFactory = _ => "mesh" };
        layout.AcceptOnlyFromAmong("mesh", "star");
        var name = new Option<string>("--name") { Description = "the lab's name (default: from the sizes)", HelpName = "NAME" };
        var outFile = new Option<string>("--out", "-o") { Description = "write the lab file here (default: standard output)", HelpName = "FILE" };
        var networkOut = new Option<string>("--network-out") { Description = "also write its network as a network file, for `vnet net load --file`", HelpName = "FILE" };
        var command = new Command("gen", "write a lab file for a large lab: N hosts, K VMs each, L links between VMs of different hosts") { hosts, vms, links, kind, layout, name, outFile, networkOut };
        command.SetAction(r =>
        {
            LinkKinds.TryParse(r.GetValue(kind)!, out var k);
            var options = new LabGenOptions(r.GetValue(hosts), r.GetValue(vms), r.GetValue(links))
            {
                Kind = k,
                Layout = r.GetValue(layout) == "star" ? LabLayout.Star : LabLayout.Mesh,
                Name = r.GetValue(name) ?? "",
            };
            return LabGen.Run(options, r.GetValue(outFile), r.GetValue(networkOut), output);
        });
        return command;
    }

    private static Argument<string> HostArgument() => new("HOST") { Description = "a host of the lab" };

    private static Command Metrics()
    {
        var host = HostArgument();
        var labOption = GlobalOptions.LabOption("the lab of the host");
        var command = new Command("metrics", "print a lab host's /metrics (read inside its namespace)") { host, labOption };
        command.SetAction(r => ObservabilityCli.InLab("metrics", LabVerbs.SelectLab("metrics", r.GetValue(labOption)), r.GetValue(host)!, []));
        return command;
    }

    private static Command Top()
    {
        var host = HostArgument();
        var labOption = GlobalOptions.LabOption("the lab of the host");
        var interval = ToolCommands.Interval();
        var count = ToolCommands.Count();
        var command = new Command("top", "live table of a lab host's link ends (read inside its namespace)") { host, labOption, interval, count };
        command.SetAction(r =>
        {
            List<string> forwarded = ["--interval", r.GetValue(interval).ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (r.GetValue(count) is { } n) forwarded.AddRange(["--count", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            return ObservabilityCli.InLab("top", LabVerbs.SelectLab("top", r.GetValue(labOption)), r.GetValue(host)!, forwarded);
        });
        return command;
    }

    private static Command Web()
    {
        var host = HostArgument();
        var labOption = GlobalOptions.LabOption("the lab of the host");
        var port = Int("--port", "the local port (0: any free one)", ObservabilityCli.DefaultNode.Port, 0, 65535);
        var command = new Command("web", "forward 127.0.0.1:PORT here to a lab node's topology page and /metrics, until Ctrl-C") { host, labOption, port };
        command.SetAction((r, _) => ObservabilityCli.WebAsync(LabVerbs.SelectLab("web", r.GetValue(labOption)), r.GetValue(host)!, r.GetValue(port)));
        return command;
    }

    private static Command HostVerb(string verb, string description, TextWriter output)
    {
        var host = HostArgument();
        var labOption = GlobalOptions.LabOption("the lab of the host");
        var command = new Command(verb, description) { host, labOption };
        command.SetAction(r =>
        {
            var state = LabVerbs.SelectLab(verb, r.GetValue(labOption));
            var name = r.GetValue(host)!;
            if (state.Hosts.All(h => h.Name != name))
                throw new CommandException($"lab {verb}: lab {state.Id} has no host '{name}'{Suggestions.DidYouMean(name, state.Hosts.Select(h => h.Name))} (hosts: {string.Join(", ", state.Hosts.Select(h => h.Name))})", ExitCodes.Usage);
            switch (verb)
            {
                case "cut":
                    LabRunner.CutHost(LabFile.Load(state.File), state, name);
                    output.WriteLine($"{name} cut off the substrate (its vnetd keeps running); `vnet lab heal {name}` ends it");
                    return ExitCodes.Ok;
                case "heal":
                    LabRunner.HealHost(state, name);
                    output.WriteLine($"{name}'s substrate interfaces pass traffic again");
                    return ExitCodes.Ok;
            }
            if (verb is "stop" or "kill" or "restart")
            {
                state = LabRunner.StopHost(state, name, kill: verb == "kill");
                output.WriteLine($"vnetd of {name} {(verb == "kill" ? "killed (-9)" : "stopped")}");
            }
            if (verb is "start" or "restart")
            {
                state = LabRunner.StartHost(LabFile.Load(state.File), state, name);
                output.WriteLine($"vnetd of {name} started (pid {state.Processes.First(p => p.Name == $"vnetd-{name}").Pid}); it joins the cluster of the others");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A whole-number option with its default and range, checked by the parser.</summary>
    public static Option<int> Int(string name, string description, int fallback, int min, int max)
    {
        var option = new Option<int>(name) { Description = $"{description} ({min}-{max})", HelpName = "N", DefaultValueFactory = _ => fallback };
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<int>();
            if (value < min || value > max) r.AddError($"{name} {value} is not in {min}-{max}");
        });
        return option;
    }
}
