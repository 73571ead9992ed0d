using System.Diagnostics;
using System.Text;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Deploy;

/// <summary>
/// Follows docs/deploy.md on two network namespaces that stand for machines (a veth between them,
/// a default route in each, each with its own file system and host name: <see cref="DeployMachine"/>)
/// and a VM stand-in on each (a namespace whose eth0 is a veth into the machine). Every block
/// marked <c>deploy</c> runs as written, with only the placeholders of the document's table
/// substituted, in order: the package is built and installed, the authority and certificates made
/// and copied, the configuration appended, vnetd started, the cluster checked, a link created and
/// pinged across. <c>scp</c> lines copy between the machines' file systems. Of the variants the
/// test takes <c>static</c> (VM provider) and <c>foreground</c> (no systemd in a namespace).
/// Everything is torn down in finally.
/// </summary>
public sealed class DeployDocTests(ITestOutputHelper output)
{
    private static readonly string[] Variants = ["static", "foreground"];

    [Fact]
    public async Task The_deploy_document_forms_one_cluster_of_two_hosts_and_carries_frames_between_their_VMs()
    {
        var markdown = await File.ReadAllTextAsync(Path.Combine(LabSession.RepoRoot, "docs", "deploy.md"));
        var steps = DeployDoc.Parse(markdown);
        Assert.Contains(steps, s => s.Check == "cluster");

        var id = $"dp{Random.Shared.Next(0x10000):x4}";
        string nsA = $"{id}-a", nsB = $"{id}-b", vmA = $"{id}-va", vmB = $"{id}-vb";
        var root = Directory.CreateTempSubdirectory($"vnet-{id}-").FullName;
        var placeholders = new Dictionary<string, string>
        {
            ["HOST_A"] = $"{id}-kvm1", ["HOST_B"] = $"{id}-kvm2",
            ["ADDR_A"] = "10.201.77.1", ["ADDR_B"] = "10.201.77.2",
            ["VM_A"] = "web1", ["VM_B"] = "db1",
            ["VM_A_MAC"] = "52:54:00:77:00:0a", ["VM_B_MAC"] = "52:54:00:77:00:0b",
            ["VM_A_IF"] = "vnet-web1", ["VM_B_IF"] = "vnet-db1",
            ["VM_B_IP"] = "10.250.77.2",
        };
        var machines = new Dictionary<string, DeployMachine>();
        var transcript = new StringBuilder();
        try
        {
            // Two machines on one link, each with a default route (so vnetd finds its address),
            // and a VM stand-in behind each.
            foreach (var ns in new[] { nsA, nsB, vmA, vmB }) Shell.Ip("netns", "add", ns);
            Shell.Ip("link", "add", $"{id}a0", "netns", nsA, "type", "veth", "peer", "name", $"{id}b0", "netns", nsB);
            foreach (var (ns, dev, addr) in new[] { (nsA, $"{id}a0", placeholders["ADDR_A"]), (nsB, $"{id}b0", placeholders["ADDR_B"]) })
            {
                Shell.Ip("-n", ns, "link", "set", "lo", "up");
                Shell.Ip("-n", ns, "addr", "add", $"{addr}/24", "dev", dev);
                Shell.Ip("-n", ns, "link", "set", dev, "up");
                Shell.Ip("-n", ns, "route", "add", "default", "via", "10.201.77.254", "dev", dev);
            }
            WireVm(nsA, vmA, placeholders["VM_A_IF"], placeholders["VM_A_MAC"], "10.250.77.1");
            WireVm(nsB, vmB, placeholders["VM_B_IF"], placeholders["VM_B_MAC"], placeholders["VM_B_IP"]);
            machines["HOST_A"] = await DeployMachine.StartAsync(placeholders["HOST_A"], nsA, Path.Combine(root, "a"));
            machines["HOST_B"] = await DeployMachine.StartAsync(placeholders["HOST_B"], nsB, Path.Combine(root, "b"));
            var byAddress = new Dictionary<string, DeployMachine> { [placeholders["ADDR_A"]] = machines["HOST_A"], [placeholders["ADDR_B"]] = machines["HOST_B"] };
            var vms = new Dictionary<string, string> { ["VM_A"] = vmA, ["VM_B"] = vmB };

            var clock = Stopwatch.StartNew();
            foreach (var step in steps.Where(s => s.Variant is null || Variants.Contains(s.Variant)))
            {
                var script = DeployDoc.Substitute(step.Script, placeholders);
                foreach (var on in step.On)
                {
                    output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  deploy.md:{step.Line} on {on}");
                    transcript.AppendLine($"## deploy.md:{step.Line} on {on}{(step.Variant is null ? "" : $" ({step.Variant})")}").Append(script);
                    if (step.Background)
                    {
                        machines[on].StartBackground(script, "vnetd.log");
                        continue;
                    }
                    if (step.Check == "cluster") await WaitForCluster(machines[on], placeholders);
                    if (vms.TryGetValue(on, out var vmNs))
                    {
                        // The link is made by then but may still be negotiating: the ping is tried for 30 s.
                        await Eventually(() => Shell.InNetns(vmNs, ["sh", "-euc", script], check: false), step, on, transcript, TimeSpan.FromSeconds(30));
                        continue;
                    }
                    RunWithCopies(step, on, script, on == "build" ? null : machines[on], byAddress, transcript);
                }
            }

            // What the check block showed: one cluster of the two, both up.
            var members = Assert.IsType<VNet.Messages.Commands.MemberList>(VNet.Messages.Commands.CommandJson.Deserialize(Expect(machines["HOST_B"].Run("vnet --json cluster show"), "cluster show on B"))).Members;
            Assert.Equal([placeholders["HOST_A"], placeholders["HOST_B"]], members.Select(m => m.Host ?? "").Order().ToArray());
            Assert.All(members, m => Assert.Equal("up", m.Status));

            // A clean stop of one host, as systemctl stop would send it: a few seconds.
            output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  every step done");
            var (pid, log) = machines["HOST_B"].Background[0];
            clock.Restart();
            Shell.Run("kill", ["-TERM", pid.ToString()]);
            while (Shell.Alive(pid) && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
            output.WriteLine($"SIGTERM to vnetd on B: gone after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.False(Shell.Alive(pid), "vnetd on B still runs 20 s after SIGTERM");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"vnetd on B took {clock.Elapsed.TotalSeconds:0.0} s to stop");
            Assert.Contains("stopped in", await File.ReadAllTextAsync(log));
        }
        catch
        {
            output.WriteLine(transcript.ToString());
            foreach (var m in machines.Values)
                foreach (var (_, log) in m.Background)
                    output.WriteLine($"== {m.Name} {log}\n{Shell.Tail(log, 60)}");
            throw;
        }
        finally
        {
            foreach (var m in machines.Values) await m.DisposeAsync();
            foreach (var ns in new[] { nsA, nsB, vmA, vmB }) Shell.Run("ip", ["netns", "del", ns], check: false);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task The_nftables_example_of_the_deploy_document_is_valid()
    {
        var markdown = await File.ReadAllTextAsync(Path.Combine(LabSession.RepoRoot, "docs", "deploy.md"));
        var ruleset = DeployDoc.Block(markdown, "nft", "table inet vnet") ?? throw new Xunit.Sdk.XunitException("deploy.md has no ```nft block starting with `table inet vnet`");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, ruleset);
            var r = Shell.Run("nft", ["-c", "-f", file], check: false);
            Assert.True(r.Exit == 0, $"nft -c refuses the example: {r.Error}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void WireVm(string machine, string vm, string hostSide, string mac, string address)
    {
        Shell.Ip("-n", machine, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", vm);
        Shell.Ip("-n", vm, "link", "set", "eth0", "address", mac);
        Shell.Ip("-n", vm, "addr", "add", $"{address}/24", "dev", "eth0");
        Shell.InNetns(machine, ["sysctl", "-qw", $"net.ipv6.conf.{hostSide}.disable_ipv6=1"]);
        Shell.Ip("-n", machine, "link", "set", hostSide, "up");
        Shell.Ip("-n", vm, "link", "set", "eth0", "up");
        Shell.Ip("-n", vm, "link", "set", "lo", "up");
    }

    /// <summary>
    /// Runs a block on the build machine (the repository, <paramref name="machine"/> null) or a host;
    /// each <c>scp SRC... root@ADDR:[DIR]</c> line copies the files to that machine's DIR (default /root).
    /// </summary>
    private static void RunWithCopies(Deploy.DeployStep step, string on, string script, DeployMachine? machine, Dictionary<string, DeployMachine> byAddress, StringBuilder transcript)
    {
        var chunk = new StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            if (!line.StartsWith("scp "))
            {
                chunk.AppendLine(line);
                continue;
            }
            Flush();
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
            var target = words[^1];
            var at = target.IndexOf('@');
            var colon = target.IndexOf(':');
            var to = byAddress[target[(at + 1)..colon]];
            var dir = target[(colon + 1)..] is { Length: > 0 } d ? d : "/root/";
            foreach (var pattern in words[..^1])
            {
                var files = machine is null
                    ? Directory.GetFiles(Path.Combine(LabSession.RepoRoot, Path.GetDirectoryName(pattern)!), Path.GetFileName(pattern))
                    : machine.Expand(pattern);
                Assert.True(files.Length > 0, $"deploy.md:{step.Line}: `{line}` copies nothing ({pattern} matches no file on {on})");
                foreach (var file in files)
                {
                    var content = machine is null ? File.ReadAllBytes(file) : machine.ReadFile(file);
                    to.WriteFile(dir.TrimEnd('/') + "/" + Path.GetFileName(file), content);
                    transcript.AppendLine($"# copied {file} ({content.Length} bytes) to {to.Name}:{dir}");
                }
            }
        }
        Flush();

        void Flush()
        {
            if (chunk.ToString().Trim().Length == 0) return;
            var text = chunk.ToString();
            chunk.Clear();
            var r = machine is null
                ? Shell.Run("sh", ["-euc", $"cd {Shell.Quote(LabSession.RepoRoot)}\n{text}"], check: false, TimeSpan.FromMinutes(10))
                : machine.Run(text);
            transcript.Append(r.Output).Append(r.Error);
            Assert.True(r.Exit == 0, $"deploy.md:{step.Line} on {on} failed (exit {r.Exit}):\n{text}\n{r.Output}{r.Error}");
        }
    }

    /// <summary>Waits until the node on <paramref name="machine"/> sees both hosts up and announced (the doc says "a few seconds").</summary>
    private static async Task WaitForCluster(DeployMachine machine, Dictionary<string, string> placeholders)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var r = machine.Run("vnet --json hosts show");
            last = r.Output + r.Error;
            // `--json` prints the reply record; read it back as the typed reply.
            if (r.Exit == 0 && VNet.Messages.Commands.CommandJson.Deserialize(r.Output) is VNet.Messages.Commands.HostList list
                && new[] { placeholders["HOST_A"], placeholders["HOST_B"] }.All(n => list.Hosts.Any(h => h.Status == VNet.Messages.Commands.HostStatus.Up && h.Info.Name == n)))
                return;
            await Task.Delay(500);
        }
        throw new Xunit.Sdk.XunitException($"the two hosts did not both come up within 60 s; last `vnet hosts show`: {last}");
    }

    private static async Task Eventually(Func<Shell.Result> run, Deploy.DeployStep step, string on, StringBuilder transcript, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Shell.Result r;
        do
        {
            r = run();
            if (r.Exit == 0) break;
            await Task.Delay(1000);
        }
        while (DateTime.UtcNow < deadline);
        transcript.Append(r.Output).Append(r.Error);
        Assert.True(r.Exit == 0, $"deploy.md:{step.Line} on {on} failed (exit {r.Exit}):\n{r.Output}{r.Error}");
    }

    private static string Expect(Shell.Result r, string what)
    {
        Assert.True(r.Exit == 0, $"{what} failed (exit {r.Exit}): {r.Error}{r.Output}");
        return r.Output;
    }
}
