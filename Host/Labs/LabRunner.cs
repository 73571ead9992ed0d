using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using VNet.Actors.Commands;
using VNet.Host.Console;
using VNet.Host.Trust;
using VNet.Messages;

namespace VNet.Host.Labs;

/// <summary>Options of <c>vnet lab up</c>.</summary>
public sealed record LabOptions
{
    /// <summary>Namespace-name prefix; default <c>vn-&lt;lab&gt;-</c>. Tests, demo and benchmarks use their own so they never collide.</summary>
    public string? Prefix { get; init; }

    /// <summary>Create the file's links after the cluster is up (default on).</summary>
    public bool CreateLinks { get; init; } = true;

    /// <summary>How long to wait for every vnetd to join and register.</summary>
    public TimeSpan ClusterTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Extra HOCON appended to every host's vnetd configuration.</summary>
    public string? ExtraConfig { get; init; }

    /// <summary>
    /// Start every vnetd without seed nodes, so the nodes find each other by discovery and form one
    /// cluster; also set by <c>&lt;lab bootstrap="discovery"&gt;</c>. The default
    /// gives every host the first host as its seed.
    /// </summary>
    public bool NoSeedNodes { get; init; }

    /// <summary>The discovery group routers forward and vnetd uses; null = the default (<c>vnet.discovery.group</c>).</summary>
    public string? DiscoveryGroup { get; init; }
}

/// <summary>
/// Builds a lab from network namespaces and veths, starts one real vnetd process
/// per host namespace, waits for the cluster and creates the links through it — the same console
/// commands an operator types. Tears everything down again on failure and on <c>lab down</c>.
/// </summary>
public sealed class LabRunner(TextWriter progress)
{
    /// <summary>The vnetd cluster port inside each host namespace.</summary>
    public const int ClusterPort = 4053;

    private int _step;
    private int _steps;
    private readonly Stopwatch _clock = new();

    /// <summary>Builds <paramref name="lab"/>; on any failure everything built so far is removed and the error rethrown.</summary>
    public async Task<LabState> UpAsync(LabDefinition lab, LabOptions options, CancellationToken cancel = default)
    {
        var prefix = options.Prefix ?? $"vn-{lab.Name}-";
        var id = prefix.TrimEnd('-');
        if (LabState.Read(id) is not null || System.IO.File.Exists(Path.Combine(LabState.DirectoryOf(id), "state.json")))
            throw new ShellException($"lab {id} is already up (run `vnet lab down {id}` first)");
        var wanted = NamespaceNames(lab, prefix);
        var clash = wanted.Where(Shell.Namespaces().Contains).ToList();
        if (clash.Count > 0) throw new ShellException($"network namespace(s) {string.Join(", ", clash)} already exist; another lab uses prefix '{prefix}' (remove them with `ip netns del`, or choose --prefix)");
        var state = new LabState(id, lab.Name, prefix, Path.GetFullPath(lab.File), [], [], []);
        Directory.CreateDirectory(state.Directory);
        state.Save();
        var multicast = lab.Routers.Any(r => r.Multicast);
        var group = options.DiscoveryGroup ?? Actors.Discovery.DiscoverySettings.DefaultGroup;
        _steps = (options.CreateLinks && lab.Network.Links.Length > 0 ? 7 : 5) + (multicast ? 1 : 0);
        _clock.Restart();
        try
        {
            state = Step($"namespaces ({wanted.Count})", () => CreateNamespaces(state, wanted));
            Step($"substrate ({lab.Subnets.Count()} subnet(s), {lab.Routers.Length} router(s))", () => WireSubstrate(lab, prefix));
            Step($"VMs ({lab.Vms.Count()})", () => WireVms(lab, prefix));
            if (multicast)
                state = Step($"multicast routing of {group} ({string.Join(", ", lab.Routers.Where(r => r.Multicast).Select(r => r.Name))})", () => StartMulticastRouting(lab, state, group));
            state = Step($"vnetd on {string.Join(", ", lab.Hosts.Select(h => h.Name))}", () => StartDaemons(lab, state, options));
            await StepAsync("cluster", () => WaitForCluster(lab, state, options.ClusterTimeout, cancel));
            if (options.CreateLinks && lab.Network.Links.Length > 0)
            {
                var mtus = await StepAsync($"links ({lab.Network.Links.Length})", () => CreateLinks(lab, state, cancel));
                Step("VM MTUs", () => ApplyMtus(lab, prefix, mtus));
            }
            progress.WriteLine($"lab {id} is up in {_clock.Elapsed.TotalSeconds:0.0} s; `vnet -L {id} cluster show`, `vnet lab exec {lab.Vms.FirstOrDefault()?.Name ?? "NODE"} -- CMD`, `vnet lab down {id}`");
            return state;
        }
        catch (Exception e)
        {
            progress.WriteLine($"lab up failed: {e.Message}");
            progress.WriteLine("tearing down what was built...");
            Down(LabState.Read(id) ?? state, quiet: true);
            throw;
        }
    }

    private T Step<T>(string what, Func<T> action)
    {
        _step++;
        progress.Write($"[{_step}/{_steps}] {what} ... ");
        var started = _clock.Elapsed;
        var result = action();
        progress.WriteLine($"ok ({(_clock.Elapsed - started).TotalSeconds:0.0} s)");
        return result;
    }

    private void Step(string what, Action action) => Step(what, () => { action(); return 0; });

    private async Task<T> StepAsync<T>(string what, Func<Task<T>> action)
    {
        _step++;
        progress.Write($"[{_step}/{_steps}] {what} ... ");
        var started = _clock.Elapsed;
        var result = await action();
        progress.WriteLine($"ok ({(_clock.Elapsed - started).TotalSeconds:0.0} s)");
        return result;
    }

    private static List<string> NamespaceNames(LabDefinition lab, string prefix)
    {
        var names = lab.Routers.Select(r => prefix + r.Name).Concat(lab.Hosts.Select(h => prefix + h.Name)).Concat(lab.Vms.Select(v => prefix + v.Name)).ToList();
        if (lab.Subnets.Any(s => s.Count() > 2)) names.Add(prefix + "sw");
        return names;
    }

    private static LabState CreateNamespaces(LabState state, List<string> names)
    {
        foreach (var ns in names)
        {
            Shell.Ip("netns", "add", ns);
            state = state with { Namespaces = state.Namespaces.Add(ns) };
            state.Save();
            Shell.Ip("-n", ns, "link", "set", "lo", "up");
        }
        return state;
    }

    private static void WireSubstrate(LabDefinition lab, string prefix)
    {
        var subnetIndex = 0;
        foreach (var subnet in lab.Subnets)
        {
            var members = subnet.ToList();
            if (members.Count == 2)
            {
                Shell.Ip("-n", prefix + members[0].Node, "link", "add", members[0].Name, "type", "veth", "peer", "name", members[1].Name, "netns", prefix + members[1].Node);
            }
            else
            {
                // More than two members: a bridge per subnet in the lab's switch namespace.
                var sw = prefix + "sw";
                var bridge = $"br{subnetIndex}";
                // No IGMP snooping: routers forward the discovery group by static smcroute routes and never
                // report membership, so a snooping bridge would keep the group from them.
                Shell.Ip("-n", sw, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0");
                Shell.Ip("-n", sw, "link", "set", bridge, "up");
                for (var k = 0; k < members.Count; k++)
                {
                    var port = $"s{subnetIndex}p{k}";
                    Shell.Ip("-n", prefix + members[k].Node, "link", "add", members[k].Name, "type", "veth", "peer", "name", port, "netns", sw);
                    Shell.Ip("-n", sw, "link", "set", port, "master", bridge, "up");
                    // The switch must pass the largest frame any member sends; a member's own MTU is set below.
                    if (members.Max(m => m.Mtu) is { } largest) Shell.Ip("-n", sw, "link", "set", port, "mtu", largest.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            subnetIndex++;
            foreach (var i in members)
            {
                Shell.Ip("-n", prefix + i.Node, "addr", "add", i.Cidr, "dev", i.Name);
                if (i.Mtu is { } mtu) Shell.Ip("-n", prefix + i.Node, "link", "set", i.Name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Shell.Ip("-n", prefix + i.Node, "link", "set", i.Name, "up");
            }
        }
        foreach (var i in lab.Hosts.SelectMany(h => h.Interfaces).Where(i => i.Gateway is not null))
            Shell.Ip("-n", prefix + i.Node, "route", "add", "default", "via", i.Gateway!.ToString(), "dev", i.Name);
        foreach (var r in lab.Routers)
            Shell.InNetns(prefix + r.Name, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        // Routers on a chain need routes to the subnets beyond their neighbours.
        foreach (var route in LabRoutes.Compute(lab))
            Shell.Ip("-n", prefix + route.Router, "route", "add", route.Destination, "via", route.Via.ToString(), "dev", route.Device);
    }

    private static LabState StartMulticastRouting(LabDefinition lab, LabState state, string group)
    {
        var started = LabMulticast.Launch(lab, state, group);
        state = state with { Processes = state.Processes.AddRange(started) };
        state.Save();
        LabMulticast.WaitReady(state, started);
        return state;
    }

    private static void WireVms(LabDefinition lab, string prefix)
    {
        foreach (var vm in lab.Vms) WireVm(vm, prefix);
    }

    /// <summary>
    /// Makes a VM's NIC: a veth whose host side is named after the VM (in the host's namespace) and
    /// whose VM side is <c>eth0</c> in the VM's namespace, with its MAC and address, both up. Also
    /// used to give a VM its NIC back after it was deleted.
    /// </summary>
    public static void WireVm(LabVm vm, string prefix)
    {
        string host = prefix + vm.Host, guest = prefix + vm.Name;
        Shell.Ip("-n", host, "link", "add", vm.Name, "type", "veth", "peer", "name", "eth0", "netns", guest);
        Shell.Ip("-n", guest, "link", "set", "eth0", "address", vm.Mac.ToString());
        if (vm.Address is not null) Shell.Ip("-n", guest, "addr", "add", $"{vm.Address}/{vm.PrefixLength}", "dev", "eth0");
        // The host side is a pure capture point: no addresses, no IPv6 chatter of the host into the VM's segment.
        Shell.InNetns(host, ["sysctl", "-qw", $"net.ipv6.conf.{vm.Name}.disable_ipv6=1"]);
        Shell.Ip("-n", host, "link", "set", vm.Name, "up");
        Shell.Ip("-n", guest, "link", "set", "eth0", "up");
        // Offloads stay on, as on a real guest's virtio NIC: the data plane carries partial checksums and
        // TSO super-frames with their offload header (PacketSocketTap).
    }

    /// <summary>The vnetd executable and the arguments that precede "vnetd".</summary>
    public static IReadOnlyList<string> DaemonCommand()
    {
        if (Environment.GetEnvironmentVariable("VNET_HOST_BIN") is { Length: > 0 } bin) return [bin];
        var process = Environment.ProcessPath ?? "";
        if (Path.GetFileName(process) == "VNet.Host") return [process];
        var apphost = Path.Combine(AppContext.BaseDirectory, "VNet.Host");
        if (System.IO.File.Exists(apphost)) return [apphost];
        return ["dotnet", Path.Combine(AppContext.BaseDirectory, "VNet.Host.dll")];
    }

    private static LabState StartDaemons(LabDefinition lab, LabState state, LabOptions options)
    {
        // Without seed nodes the vnetds find each other by discovery (ClusterBootstrap).
        ImmutableArray<string> seeds = options.NoSeedNodes || lab.DiscoveryBootstrap ? [] : [NodeAddress(lab.Hosts[0])];
        var group = options.DiscoveryGroup ?? Actors.Discovery.DiscoverySettings.DefaultGroup;
        state = state with { SeedNodes = seeds, DiscoveryGroup = group, ExtraConfig = options.ExtraConfig };
        // Each lab is a cluster of its own with its own authority: a node of another lab (or any
        // other process on the machine) cannot join it, and the demo stays one command.
        var pki = PkiDirectory(state.Directory);
        if (!System.IO.File.Exists(Path.Combine(pki, ClusterPki.CaCertificateFile))) ClusterPki.Init(pki, state.Id);
        foreach (var host in lab.Hosts) ClusterPki.Issue(pki, host.Name, [host.Address]);
        var hosts = new List<LabHostState>();
        foreach (var host in lab.Hosts)
        {
            var ns = state.Prefix + host.Name;
            var socket = Path.Combine(state.Directory, $"{host.Name}.sock");
            var config = Path.Combine(state.Directory, $"{host.Name}.hocon");
            var log = Path.Combine(state.Directory, $"{host.Name}.log");
            System.IO.File.WriteAllText(config, HostConfig(host, state.Prefix, seeds, socket, options.ExtraConfig, group));
            hosts.Add(new LabHostState(host.Name, ns, host.Address.ToString(), socket, config));
            var pid = Shell.StartDetached(ns, [.. DaemonCommand(), "vnetd", "--config", config], log);
            state = state with { Hosts = [.. hosts], Processes = state.Processes.Add(new LabProcess($"vnetd-{host.Name}", ns, pid, log)) };
            state.Save();
        }
        return state;
    }

    /// <summary>A lab host's own state directory (its vnetd's on-disk replica of the desired network).</summary>
    public static string StateDirectory(string labDirectory, string host) => Path.Combine(labDirectory, $"{host}.state");

    /// <summary>Where a lab keeps its cluster authority and the hosts' certificates (beside their sockets).</summary>
    public static string PkiDirectory(string labDirectory) => Path.Combine(labDirectory, "pki");

    /// <summary>The Akka address of a lab host's vnetd.</summary>
    public static string NodeAddress(LabHost host) => $"akka.ssl.tcp://vnet@{host.Address}:{ClusterPort}";

    /// <summary>The HOCON a lab host's vnetd runs with (the first host as the only seed).</summary>
    public static string HostConfig(LabHost host, string prefix, string seed, string socket, string? extra) =>
        HostConfig(host, prefix, [seed], socket, extra, null);

    /// <summary>The HOCON a lab host's vnetd runs with; no <paramref name="seeds"/> = bootstrap by discovery.</summary>
    public static string HostConfig(LabHost host, string prefix, IReadOnlyList<string> seeds, string socket, string? extra, string? discoveryGroup)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# written by `vnet lab up`");
        sb.AppendLine($"akka.remote.dot-netty.tcp.hostname = \"{host.Address}\"");
        sb.AppendLine($"akka.remote.dot-netty.tcp.port = {ClusterPort}");
        sb.AppendLine($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => $"\"{s}\""))}]");
        if (discoveryGroup is not null) sb.AppendLine($"vnet.discovery.group = \"{discoveryGroup}\"");
        sb.AppendLine($"vnet.host.name = \"{host.Name}\"");
        sb.AppendLine($"vnet.host.address = \"{host.Address}\"");
        sb.AppendLine($"vnet.console.unix-socket = \"{socket}\"");
        sb.AppendLine($"vnet.trust.dir = \"{PkiDirectory(Path.GetDirectoryName(socket)!)}\"");
        // One machine, no real network between the hosts: the split-brain resolver may decide sooner
        // than on real hosts (7 s there), which shortens the topology manager's hand-over.
        sb.AppendLine("akka.cluster.split-brain-resolver.stable-after = 5s");
        // Each host keeps its replica of the desired network here, so a lab whose every vnetd was
        // killed gets its links back at the next `lab start`.
        sb.AppendLine($"vnet.state-dir = \"{StateDirectory(Path.GetDirectoryName(socket)!, host.Name)}\"");
        // Lab VMs are namespaces <prefix><vm> whose eth0's peer in the host namespace is named <vm>.
        sb.AppendLine("vnet.vm-provider = netns");
        sb.AppendLine($"vnet.netns-prefix = \"{prefix}\"");
        if (extra is not null) sb.AppendLine(extra);
        return sb.ToString();
    }

    private async Task<int> WaitForCluster(LabDefinition lab, LabState state, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        var endpoint = ConsoleEndpoint.Unix(state.Hosts[0].Socket);
        string last = "no console yet";
        while (DateTime.UtcNow < deadline)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var p in state.Processes.Where(p => !Shell.Alive(p.Pid)))
                throw new ShellException($"{p.Name} exited during start; its log ({p.Log}):{Environment.NewLine}{Shell.Tail(p.Log)}");
            try
            {
                await using var c = await ConsoleConnection.ConnectAsync(endpoint, TimeSpan.FromSeconds(2), cancel);
                var (lines, end) = await c.RunToEndAsync(c.Request("cluster", "show", json: true), cancel);
                if (end.Exit == 0 && lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value is JsonArray members)
                {
                    var up = members.Count(m => m?["status"]?.GetValue<string>() == "up");
                    var named = members.Count(m => m?["host"] is not null);
                    last = $"{up}/{lab.Hosts.Length} up, {named} registered";
                    if (up == lab.Hosts.Length && named == lab.Hosts.Length && await AllAnnounced(c, lab, cancel)) return up;
                }
            }
            catch (CommandException e)
            {
                last = e.Message;
            }
            await Task.Delay(300, cancel);
        }
        throw new ShellException($"the cluster did not form within {timeout.TotalSeconds:0} s ({last}); logs in {state.Directory}");
    }

    /// <summary>
    /// True when the topology manager has every lab host up: announced by its HostActor, not only
    /// named by a discovery answer (links can only be placed on announced hosts).
    /// </summary>
    private static async Task<bool> AllAnnounced(ConsoleConnection c, LabDefinition lab, CancellationToken cancel)
    {
        var (lines, end) = await c.RunToEndAsync(c.Request("hosts", "show", json: true), cancel);
        if (end.Exit != 0 || lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value is not JsonArray hosts) return false;
        var up = hosts.Where(h => h?["state"]?.GetValue<string>() == "up").Select(h => h?["info"]?["name"]?.GetValue<string>()).ToHashSet();
        return lab.Hosts.All(h => up.Contains(h.Name));
    }

    private static async Task<Dictionary<string, int>> CreateLinks(LabDefinition lab, LabState state, CancellationToken cancel)
    {
        await using var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(state.Hosts[0].Socket), cancel: cancel);
        foreach (var link in lab.Network.Links)
        {
            var args = new Dictionary<string, string> { ["id"] = link.Id, ["kind"] = link.Kind.Name(), ["vms"] = string.Join(',', link.Vms) };
            var o = link.Options;
            if (o.Compression != Compression.None) args["compression"] = "lz4";
            if (o.Dscp != 0) args["dscp"] = o.Dscp.ToString(CultureInfo.InvariantCulture);
            if (o.BandwidthBitsPerSecond != 0) args["bandwidth"] = o.BandwidthBitsPerSecond.ToString(CultureInfo.InvariantCulture);
            if (o.BurstBytes != 0) args["burst"] = o.BurstBytes.ToString(CultureInfo.InvariantCulture);
            if (o.DelayMs != 0) args["delay"] = o.DelayMs.ToString(CultureInfo.InvariantCulture);
            if (o.JitterMs != 0) args["jitter"] = o.JitterMs.ToString(CultureInfo.InvariantCulture);
            if (o.LossPercent != 0) args["loss"] = o.LossPercent.ToString(CultureInfo.InvariantCulture);
            if (o.Encrypt) args["encrypt"] = "on";
            if (!o.Authenticate) args["auth"] = "off";
            var (_, end) = await c.RunToEndAsync(c.Request("link", "create", args), cancel);
            if (end.Exit != 0) throw new ShellException($"link {link.Id}: {end.Error}");
        }
        // Each end reports its VM MTU once its data plane runs; the initiator answered for its end only.
        JsonArray shown = [];
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (lines, showEnd) = await c.RunToEndAsync(c.Request("link", "show", json: true), cancel);
            if (showEnd.Exit != 0) throw new ShellException($"link show: {showEnd.Error}");
            shown = lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value as JsonArray ?? [];
            if (shown.All(l => l?["vmMtu"] is not null)) break;
            if (DateTime.UtcNow > deadline) throw new ShellException($"link(s) {string.Join(", ", shown.Where(l => l?["vmMtu"] is null).Select(l => l!["id"]))} did not start on every host within 15 s");
            await Task.Delay(200, cancel);
        }
        var mtus = new Dictionary<string, int>();
        foreach (var l in shown)
        {
            var mtu = l?["vmMtu"]?.GetValue<int>() ?? 0;
            if (mtu <= 0) continue;
            foreach (var end in l!["ends"]!.AsArray())
            {
                var vm = end!.GetValue<string>().Split('@')[0];
                mtus[vm] = mtus.TryGetValue(vm, out var m) ? Math.Min(m, mtu) : mtu;
            }
        }
        return mtus;
    }

    private static void ApplyMtus(LabDefinition lab, string prefix, Dictionary<string, int> mtus)
    {
        foreach (var vm in lab.Vms)
        {
            if (!mtus.TryGetValue(vm.Name, out var mtu)) continue;
            Shell.Ip("-n", prefix + vm.Name, "link", "set", "eth0", "mtu", mtu.ToString(CultureInfo.InvariantCulture));
            Shell.Ip("-n", prefix + vm.Host, "link", "set", vm.Name, "mtu", mtu.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Stops one host's vnetd: with <paramref name="kill"/> by SIGKILL (a crash: no leaving, links
    /// left as they were), else by SIGTERM (coordinated shutdown: links down, then it leaves the
    /// cluster), escalating to SIGKILL after 15 s. Returns when the process is gone.
    /// </summary>
    public static LabState StopHost(LabState state, string host, bool kill)
    {
        var process = state.Processes.FirstOrDefault(p => p.Name == $"vnetd-{host}")
            ?? throw new ShellException($"lab {state.Id} has no host '{host}' (hosts: {string.Join(", ", state.Hosts.Select(h => h.Name))})");
        if (!Shell.Alive(process.Pid)) return state;
        Shell.Run("kill", [kill ? "-KILL" : "-TERM", process.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(kill ? 5 : 15);
        while (Shell.Alive(process.Pid) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        if (Shell.Alive(process.Pid))
        {
            Shell.Run("kill", ["-KILL", process.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (Shell.Alive(process.Pid) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        }
        if (Shell.Alive(process.Pid)) throw new ShellException($"vnetd of {host} (pid {process.Pid}) does not die");
        return state;
    }

    /// <summary>Name of the nftables table that cuts a lab host off its substrate.</summary>
    public const string CutTable = "vnet-lab-cut";

    /// <summary>
    /// Cuts a lab host off the substrate, as a failed switch port would: nftables in the host's
    /// namespace drops everything in and out of its substrate interfaces (cluster, console over
    /// TCP, discovery and capsules alike); its vnetd keeps running. <see cref="HealHost"/> ends it.
    /// </summary>
    public static void CutHost(LabDefinition lab, LabState state, string host)
    {
        var definition = lab.Hosts.FirstOrDefault(h => h.Name == host)
            ?? throw new ShellException($"lab {state.Id} has no host '{host}' (hosts: {string.Join(", ", lab.Hosts.Select(h => h.Name))})");
        var names = string.Join(", ", definition.Interfaces.Select(i => $"\"{i.Name}\""));
        var script = $$"""
            table inet {{CutTable}} {
              chain in { type filter hook input priority -300; policy accept; iifname { {{names}} } drop; }
              chain out { type filter hook output priority -300; policy accept; oifname { {{names}} } drop; }
            }
            """;
        var file = Path.Combine(state.Directory, $"{host}.cut.nft");
        System.IO.File.WriteAllText(file, script);
        try
        {
            Shell.InNetns(state.Prefix + host, ["nft", "-f", file]);
        }
        finally
        {
            System.IO.File.Delete(file);
        }
    }

    /// <summary>Ends <see cref="CutHost"/>: the host's substrate interfaces pass traffic again (nothing to do if it was not cut).</summary>
    public static void HealHost(LabState state, string host) =>
        Shell.InNetns(state.Prefix + host, ["nft", "delete", "table", "inet", CutTable], check: false);

    /// <summary>
    /// Starts one host's vnetd again (after <see cref="StopHost"/> or a crash), with its log appended.
    /// In a lab with seed nodes the host gets every host as seed, in the lab's order: it joins the
    /// running cluster when any member answers, and when none does (every vnetd was stopped) the
    /// first host of the lab forms it again and the others join it. In a lab without seeds it finds
    /// the cluster by discovery.
    /// </summary>
    public static LabState StartHost(LabDefinition lab, LabState state, string host)
    {
        var definition = lab.Hosts.FirstOrDefault(h => h.Name == host)
            ?? throw new ShellException($"lab {state.Id} has no host '{host}' (hosts: {string.Join(", ", lab.Hosts.Select(h => h.Name))})");
        var hostState = state.Hosts.First(h => h.Name == host);
        var name = $"vnetd-{host}";
        var old = state.Processes.FirstOrDefault(p => p.Name == name);
        if (old is not null && Shell.Alive(old.Pid)) throw new ShellException($"vnetd of {host} is running (pid {old.Pid}); stop it first");
        IReadOnlyList<string> seeds = state.SeedNodes.IsDefaultOrEmpty ? [] : [.. lab.Hosts.Select(NodeAddress)];
        System.IO.File.WriteAllText(hostState.Config, HostConfig(definition, state.Prefix, seeds, hostState.Socket, state.ExtraConfig, state.DiscoveryGroup));
        var log = old?.Log ?? Path.Combine(state.Directory, $"{host}.log");
        var pid = Shell.StartDetached(hostState.Netns, [.. DaemonCommand(), "vnetd", "--config", hostState.Config], log);
        var process = new LabProcess(name, hostState.Netns, pid, log);
        var processes = old is null ? state.Processes.Add(process) : state.Processes.Replace(old, process);
        state = state with { Processes = processes };
        state.Save();
        return state;
    }

    /// <summary>Stops the lab's processes (TERM, then KILL after 10 s) and deletes its namespaces and state.</summary>
    public void Down(LabState state, bool quiet = false)
    {
        var started = Stopwatch.StartNew();
        // The first vnetd is the oldest node and holds the topology manager: stopping it last lets
        // the others leave a stable cluster (all leaving at once can stall the singleton hand-over).
        // After a host was killed, the oldest is the first vnetd still alive (they joined in order).
        var oldest = state.Processes.Where(p => p.Name.StartsWith("vnetd-", StringComparison.Ordinal) && Shell.Alive(p.Pid)).Take(1).ToList();
        var waves = new List<List<LabProcess>>
        {
            state.Processes.Except(oldest).ToList(),
            oldest,
        };
        foreach (var wave in waves)
        {
            foreach (var p in wave.Where(p => Shell.Alive(p.Pid)))
                Shell.Run("kill", ["-TERM", p.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (wave.Any(p => Shell.Alive(p.Pid)) && DateTime.UtcNow < deadline) Thread.Sleep(50);
            foreach (var p in wave.Where(p => Shell.Alive(p.Pid)))
            {
                if (!quiet) progress.WriteLine($"{p.Name} (pid {p.Pid}) did not stop within 10 s: killed");
                Shell.Run("kill", ["-KILL", p.Pid.ToString(CultureInfo.InvariantCulture)], check: false);
            }
        }
        // Anything else still running inside the lab's namespaces (iperf3 servers, pings) goes too.
        var existing = Shell.Namespaces();
        foreach (var ns in state.Namespaces.Where(existing.Contains))
        {
            var pids = Shell.Run("ip", ["netns", "pids", ns], check: false).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var pid in pids) Shell.Run("kill", ["-KILL", pid], check: false);
        }
        foreach (var ns in state.Namespaces.Where(existing.Contains))
            Shell.Run("ip", ["netns", "del", ns], check: false);
        try
        {
            Directory.Delete(state.Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        if (!quiet) progress.WriteLine($"lab {state.Id} is down ({state.Namespaces.Length} namespace(s), {state.Processes.Length} process(es) removed in {started.Elapsed.TotalSeconds:0.0} s)");
    }
}
