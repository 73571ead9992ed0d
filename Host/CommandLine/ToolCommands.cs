using System.CommandLine;
using System.Globalization;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Demo;
using VNet.Host.Experiments;
using VNet.Host.Observability;
using VNet.Host.Trust;

namespace VNet.Host.CommandLine;

/// <summary>The verbs beside <c>lab</c> that run on this machine: <c>demo</c>, <c>experiment</c>, <c>pki</c>, <c>metrics</c>, <c>top</c>.</summary>
public static class ToolCommands
{
    /// <summary><c>demo [--seconds N] [--prefix P]</c>.</summary>
    public static Command Demo(TextWriter output)
    {
        var seconds = new Option<double>("--seconds") { Description = "length of each iperf3 run in seconds (at most 60)", HelpName = "N", DefaultValueFactory = _ => 5 };
        seconds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is <= 0 or > 60) r.AddError($"--seconds {r.GetValueOrDefault<double>().ToString(CultureInfo.InvariantCulture)} is not a number of seconds in 0-60");
        });
        var prefix = new Option<string>("--prefix") { Description = "namespace prefix, 1-12 lowercase letters, digits or '-', so two demos can run side by side", HelpName = "P", DefaultValueFactory = _ => DemoRunner.Prefix };
        prefix.Validators.Add(r =>
        {
            var p = r.GetValueOrDefault<string>() ?? "";
            if (p.Length is 0 or > 12 || !p.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                r.AddError($"--prefix '{p}' must be 1-12 lowercase letters, digits or '-'");
        });
        var command = new Command("demo", DemoRunner.Description) { seconds, prefix };
        command.SetAction((r, _) =>
        {
            var p = r.GetValue(prefix)!;
            return DemoRunner.RunAsync(r.GetValue(seconds), p.EndsWith('-') ? p : p + "-", output);
        });
        return command;
    }

    /// <summary><c>experiment check FILE</c> and <c>experiment run FILE …</c>.</summary>
    public static Command Experiment(TextWriter output, TextWriter error)
    {
        var checkFile = new Argument<string>("FILE") { Description = "an experiment file (experiments/*.xml)" };
        var check = new Command("check", "check an experiment file: schema, units, times, commands, the VMs of its lab") { checkFile };
        check.SetAction(r => ExperimentCli.Check(r.GetValue(checkFile)!, output));

        var runFile = new Argument<string>("FILE") { Description = "an experiment file (experiments/*.xml)" };
        var labOption = GlobalOptions.LabOption("the running lab to run it on");
        var labFile = new Option<string>("--lab-file") { Description = "bring this lab file up for the run (default: the one the experiment names)", HelpName = "LAB.xml" };
        var outDir = new Option<string>("--out") { Description = "results directory (default results/NAME-TIME)", HelpName = "DIR" };
        var prefix = new Option<string>("--prefix") { Description = "namespace prefix of the lab it brings up, at most 8 letters, digits or '-'", HelpName = "P" };
        var run = new Command("run", """
            run an experiment: brings its lab up (or uses a running one), runs the timeline and measurements,
            writes CSV, manifest.json, summary.md and PNG plots; Ctrl-C stops and still writes what was measured
            """) { runFile, labOption, labFile, outDir, prefix };
        run.SetAction((r, _) => ExperimentCli.RunAsync(r.GetValue(runFile)!, r.GetValue(labOption), r.GetValue(labFile), r.GetValue(outDir), r.GetValue(prefix), output, error));
        return new Command("experiment", "experiments: a timeline of steps and measurements on a lab, with results and plots") { check, run };
    }

    /// <summary><c>pki init</c> and <c>pki issue NAME</c>.</summary>
    public static Command Pki(TextWriter output)
    {
        Option<string> Dir() => new("--dir") { Description = "the authority's directory", HelpName = "DIR", DefaultValueFactory = _ => "/etc/vnet/pki" };
        var initDir = Dir();
        var cluster = new Option<string>("--name") { Description = "the cluster's name in the authority's certificate", HelpName = "CLUSTER", DefaultValueFactory = _ => "vnet" };
        var init = new Command("init", "create the cluster's authority (ca.crt, ca.key) and cluster.key in DIR") { initDir, cluster };
        init.SetAction(r =>
        {
            var dir = r.GetValue(initDir)!;
            ClusterPki.Init(dir, r.GetValue(cluster)!);
            output.WriteLine($"cluster authority created in {dir}: ca.crt (give it to every node), ca.key (keep it off the nodes), cluster.key (give it to every node)");
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("NAME") { Description = "a host name as vnet.host.name, or e.g. console for an operator" };
        var issueDir = Dir();
        var addresses = new Option<string[]>("--address") { Description = "an IP address the certificate names (repeatable)", HelpName = "IP", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        addresses.Validators.Add(r =>
        {
            foreach (var a in r.GetValueOrDefault<string[]>() ?? [])
                if (!System.Net.IPAddress.TryParse(a, out _)) r.AddError($"--address '{a}' is not an IP address");
        });
        var outDir = new Option<string>("--out") { Description = "where NAME.crt and NAME.key go (default DIR)", HelpName = "DIR" };
        var issue = new Command("issue", "a certificate for host NAME (or an operator's console certificate) signed by the authority: NAME.crt, NAME.key") { name, issueDir, addresses, outDir };
        issue.SetAction(r =>
        {
            var dir = r.GetValue(issueDir)!;
            var crt = ClusterPki.Issue(dir, r.GetValue(name)!, [.. (r.GetValue(addresses) ?? []).Select(System.Net.IPAddress.Parse)], r.GetValue(outDir));
            output.WriteLine($"issued {crt} and {Path.ChangeExtension(crt, ".key")} (signed by {Path.Combine(dir, ClusterPki.CaCertificateFile)})");
            return ExitCodes.Ok;
        });
        return new Command("pki", "the cluster's certificate authority: TLS between nodes and for remote consoles") { init, issue };
    }

    /// <summary><c>metrics [--url URL]</c>.</summary>
    public static Command Metrics()
    {
        var url = Url();
        var command = new Command("metrics", $"print a node's /metrics (Prometheus text)") { url };
        command.SetAction((r, _) => ObservabilityCli.MetricsAsync(ObservabilityCli.ParseUrl(r.GetValue(url)!)));
        return command;
    }

    /// <summary><c>top [--url URL] [--interval S] [--count N]</c>.</summary>
    public static Command Top()
    {
        var url = Url();
        var interval = Interval();
        var count = Count();
        var command = new Command("top", "live table of every link end of a node: rate of each direction, drops; Ctrl-C ends") { url, interval, count };
        command.SetAction((r, _) => ObservabilityCli.TopAsync(ObservabilityCli.ParseUrl(r.GetValue(url)!), TimeSpan.FromSeconds(r.GetValue(interval)), r.GetValue(count)));
        return command;
    }

    private static Option<string> Url() =>
        new("--url") { Description = "the node's metrics listener", HelpName = "URL", DefaultValueFactory = _ => ObservabilityCli.DefaultNode.ToString() };

    /// <summary><c>--interval S</c> of <c>top</c>: seconds between two tables.</summary>
    public static Option<double> Interval()
    {
        var option = new Option<double>("--interval") { Description = "seconds between two readings (0.2-3600)", HelpName = "S", DefaultValueFactory = _ => 1 };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.2 or > 3600) r.AddError($"--interval {r.GetValueOrDefault<double>().ToString(CultureInfo.InvariantCulture)} is not a number of seconds in 0.2-3600");
        });
        return option;
    }

    /// <summary><c>--count N</c> of <c>top</c>: how many readings before it ends.</summary>
    public static Option<int?> Count()
    {
        var option = new Option<int?>("--count") { Description = "stop after N readings (default: until Ctrl-C)", HelpName = "N" };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--count must be at least 1");
        });
        return option;
    }
}
