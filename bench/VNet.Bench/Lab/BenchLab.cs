using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Capture.Forwarding;
using VNet.Host.Labs;

namespace VNet.Bench.Lab;

/// <summary>A VM of the benchmark lab: its namespace, its NIC's host-side veth and its address.</summary>
public sealed record BenchVm(string Name, string Netns, string Host, string HostNetns, string Address);

/// <summary>
/// The lab every contender is measured on: labs/bench.xml (two hosts behind a router, one VM each)
/// brought up by <see cref="LabRunner"/> with the benchmark's own namespace prefix and no links.
/// VNet's nodes run in it the whole time; the other contenders are added and removed around them.
/// </summary>
public sealed class BenchLab
{
    /// <summary>The benchmark's default lab id (tests use vt…, the demo vn-demo, other labs vn-…).</summary>
    public const string DefaultId = "vb";

    private readonly LabRunner _runner;

    private BenchLab(LabDefinition definition, LabState state, LabRunner runner)
    {
        Id = state.Id;
        Prefix = state.Prefix;
        Definition = definition;
        State = state;
        _runner = runner;
        var h1 = definition.Hosts[0];
        var h2 = definition.Hosts[1];
        Host1 = h1.Name;
        Host2 = h2.Name;
        Host1Address = h1.Address.ToString();
        Host2Address = h2.Address.ToString();
        Vm1 = Vm(h1.Vms[0]);
        Vm2 = Vm(h2.Vms[0]);
        WorkDirectory = Path.Combine(state.Directory, "bench");
        Directory.CreateDirectory(WorkDirectory);
    }

    /// <summary>The lab id (<c>--lab-id</c>, default <see cref="DefaultId"/>).</summary>
    public string Id { get; }

    /// <summary>The namespace prefix: the lab id and a dash.</summary>
    public string Prefix { get; }

    /// <summary>The namespace prefix of the lab <paramref name="id"/>.</summary>
    public static string PrefixOf(string id) => id + "-";

    /// <summary>The lab file as parsed.</summary>
    public LabDefinition Definition { get; }

    /// <summary>What <see cref="LabRunner"/> built (namespaces, vnetd processes, console sockets).</summary>
    public LabState State { get; }

    /// <summary>Name of the first host (the client side).</summary>
    public string Host1 { get; }

    /// <summary>Name of the second host (the server side).</summary>
    public string Host2 { get; }

    /// <summary>Substrate address of the first host.</summary>
    public string Host1Address { get; }

    /// <summary>Substrate address of the second host.</summary>
    public string Host2Address { get; }

    /// <summary>The VM behind the first host (iperf3/ping client).</summary>
    public BenchVm Vm1 { get; }

    /// <summary>The VM behind the second host (iperf3 server, ping target).</summary>
    public BenchVm Vm2 { get; }

    /// <summary>Configs and logs of the contenders (inside the lab's runtime directory).</summary>
    public string WorkDirectory { get; }

    /// <summary>Both VMs.</summary>
    public IEnumerable<BenchVm> Vms => [Vm1, Vm2];

    /// <summary>The namespace of a lab node.</summary>
    public string Ns(string node) => Prefix + node;

    /// <summary>The two host namespaces.</summary>
    public IEnumerable<string> HostNamespaces => [Ns(Host1), Ns(Host2)];

    /// <summary>Every namespace of the lab.</summary>
    public IEnumerable<string> Namespaces => State.Namespaces;

    /// <summary>The vnetd processes (name, pid).</summary>
    public IEnumerable<LabProcess> VnetdProcesses => State.Processes.Where(p => p.Name.StartsWith("vnetd-", StringComparison.Ordinal));

    /// <summary>The console socket of the first host's node.</summary>
    public string ConsoleSocket => State.Hosts[0].Socket;

    private BenchVm Vm(LabVm vm) => new(vm.Name, Ns(vm.Name), vm.Host, Ns(vm.Host), vm.Address!.ToString());

    /// <summary>
    /// Brings the lab up. The benchmark never tears down a lab it did not build: when a lab with its
    /// id is up — another benchmark, or one killed before it could clean up — it stops and says so.
    /// </summary>
    public static async Task<BenchLab> UpAsync(string labFile, string id, TextWriter progress, CancellationToken cancel)
    {
        var runner = new LabRunner(progress);
        var prefix = PrefixOf(id);
        if (LabState.Read(id) is { } existing)
        {
            var running = existing.Processes.Count(p => Shell.Alive(p.Pid));
            throw new ShellException($"a lab with id {id} is already up ({existing.Namespaces.Length} namespaces, {running} of its processes running): " +
                (running > 0 ? "another benchmark may be using it; run beside it with --prefix ID" : $"left over from a run that was killed; `vnet lab down {id}` removes it, or run with --prefix ID"));
        }
        var definition = LabFile.Load(labFile);
        if (definition.Hosts.Length < 2 || definition.Hosts[0].Vms.Length < 1 || definition.Hosts[1].Vms.Length < 1 || definition.Vms.Any(v => v.Address is null))
            throw new ShellException($"{labFile}: the benchmark needs two hosts with one addressed VM each");
        var state = await runner.UpAsync(definition, new LabOptions { Prefix = prefix, CreateLinks = false }, cancel);
        return new BenchLab(definition, state, runner);
    }

    /// <summary>Copies every log of the lab (vnetd, tunnel daemons, iperf3 servers) under <paramref name="root"/>/latest before the lab's directory goes; null when nothing could be copied.</summary>
    public string? SaveLogs(string root)
    {
        try
        {
            var target = Path.GetFullPath(Path.Combine(root, "latest"));
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            foreach (var log in Directory.EnumerateFiles(State.Directory, "*.log", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(target, Path.GetRelativePath(State.Directory, log));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(log, copy);
            }
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Tears the whole lab down (vnetd and anything else running in its namespaces, the namespaces).</summary>
    public void Down() => _runner.Down(LabState.Read(State.Id) ?? State);

    /// <summary>
    /// Gives both VMs the same NIC settings for every contender: <paramref name="mtu"/> on the VM's
    /// eth0 and on its host-side veth, and offloads tx/tso/gso/gro on or off on both ends (null: as they are).
    /// </summary>
    public void ApplyVmSettings(int mtu, bool? offloads = null)
    {
        var m = mtu.ToString(CultureInfo.InvariantCulture);
        foreach (var vm in Vms)
        {
            Shell.Ip("-n", vm.Netns, "link", "set", "eth0", "mtu", m);
            Shell.Ip("-n", vm.HostNetns, "link", "set", vm.Name, "mtu", m);
            if (offloads is not { } on) continue;
            foreach (var (netns, dev) in new[] { (vm.Netns, "eth0"), (vm.HostNetns, vm.Name) })
            {
                var args = new List<string> { "ethtool", "-K", dev };
                foreach (var f in Offloads.Features) args.AddRange([f, on ? "on" : "off"]);
                var r = Shell.InNetns(netns, args, check: false);
                if (r.Exit != 0) throw new ShellException($"ethtool -K {dev} in {netns} failed: {(r.Error + r.Output).Trim()}");
            }
        }
    }

    /// <summary>What the VM NICs are set to now, e.g. "vm1 eth0 mtu 1400 tx/tso/gso/gro off".</summary>
    public List<string> DescribeVmSettings()
    {
        var lines = new List<string>();
        foreach (var vm in Vms)
        {
            lines.Add(Describe(vm.Netns, "eth0", $"{vm.Name} eth0"));
            lines.Add(Describe(vm.HostNetns, vm.Name, $"{vm.Host} {vm.Name} (host side)"));
        }
        return lines;
    }

    private static string Describe(string netns, string dev, string label)
    {
        var mtu = Mtu(netns, dev);
        var k = Shell.InNetns(netns, ["ethtool", "-k", dev], check: false).Output;
        string F(string feature)
        {
            var line = k.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(feature + ":", StringComparison.Ordinal));
            return line is null ? "?" : line.Contains(": on", StringComparison.Ordinal) ? "on" : "off";
        }
        return $"{label}: mtu {mtu}, tx {F("tx-checksumming")}, tso {F("tcp-segmentation-offload")}, gso {F("generic-segmentation-offload")}, gro {F("generic-receive-offload")}";
    }

    /// <summary>The MTU of an interface.</summary>
    public static int Mtu(string netns, string dev)
    {
        var json = Shell.Ip("-n", netns, "-j", "link", "show", dev).Output;
        return JsonNode.Parse(json)?.AsArray().FirstOrDefault()?["mtu"]?.GetValue<int>() ?? 0;
    }

    /// <summary>The bridge an interface is enslaved to, or null.</summary>
    public static string? Master(string netns, string dev)
    {
        var r = Shell.Run("ip", ["-n", netns, "-j", "link", "show", dev], check: false);
        if (r.Exit != 0) return null;
        return JsonNode.Parse(r.Output)?.AsArray().FirstOrDefault()?["master"]?.GetValue<string>();
    }

    /// <summary>True when the interface exists in the namespace.</summary>
    public static bool Exists(string netns, string dev) => Shell.Run("ip", ["-n", netns, "link", "show", dev], check: false).Exit == 0;

    /// <summary>Forgets neighbours and cached routes everywhere, so one contender does not bias the next.</summary>
    public void FlushCaches()
    {
        foreach (var ns in Namespaces)
        {
            Shell.Run("ip", ["-n", ns, "neigh", "flush", "all"], check: false);
            Shell.Run("ip", ["-n", ns, "route", "flush", "cache"], check: false);
        }
    }
}
