using System.Collections.Immutable;

namespace VNet.Host.Labs;

/// <summary>What <c>lab inspect</c> reads off the machine for a lab (namespaces, processes, addresses).</summary>
public interface ILabProbe
{
    /// <summary>True when network namespace <paramref name="name"/> exists.</summary>
    bool NamespaceExists(string name);

    /// <summary>True when process <paramref name="pid"/> runs.</summary>
    bool Alive(int pid);

    /// <summary>The IPv4 addresses (CIDR) on the interfaces of namespace <paramref name="name"/>, loopback left out.</summary>
    IReadOnlyList<string> Addresses(string name);
}

/// <summary>One node of a lab as <c>lab inspect</c> shows it.</summary>
/// <param name="Node">The node's name in the lab file.</param>
/// <param name="Kind">router, host, vm or switch.</param>
/// <param name="Namespace">Its network namespace.</param>
/// <param name="Pid">The vnetd (hosts) or multicast router (routers) process, if the lab started one.</param>
/// <param name="Alive">The namespace exists and, where there is a process, it runs.</param>
/// <param name="Addresses">IPv4 addresses found in the namespace now.</param>
/// <param name="Links">For a VM, the links of the lab's network that join it; for a host, those with an end on it.</param>
public sealed record LabNodeView(string Node, string Kind, string Namespace, int? Pid, bool Alive, ImmutableArray<string> Addresses, ImmutableArray<string> Links);

/// <summary>Builds the <c>lab inspect</c> view: the lab file's nodes joined with what the machine shows now.</summary>
public static class LabInspect
{
    /// <summary>Every node of <paramref name="lab"/> in the order of the file: routers, hosts with their VMs, then the switch.</summary>
    public static ImmutableArray<LabNodeView> Nodes(LabDefinition lab, LabState state, ILabProbe probe)
    {
        var rows = ImmutableArray.CreateBuilder<LabNodeView>();
        LabNodeView View(string node, string kind, string? process, IEnumerable<string> links)
        {
            var ns = state.Prefix + node;
            var exists = probe.NamespaceExists(ns);
            var pid = process is null ? null : state.Processes.FirstOrDefault(p => p.Name == process)?.Pid;
            var alive = exists && (pid is not { } p || probe.Alive(p));
            return new LabNodeView(node, kind, ns, pid, alive, exists ? [.. probe.Addresses(ns)] : [], [.. links]);
        }
        foreach (var r in lab.Routers)
            rows.Add(View(r.Name, "router", r.Multicast ? state.Processes.FirstOrDefault(p => p.Netns == state.Prefix + r.Name)?.Name : null, []));
        foreach (var h in lab.Hosts)
        {
            rows.Add(View(h.Name, "host", $"vnetd-{h.Name}", lab.Network.Links.Where(l => l.Vms.Any(vm => h.Vms.Any(v => v.Name == vm))).Select(l => l.Id)));
            foreach (var v in h.Vms)
                rows.Add(View(v.Name, "vm", null, lab.Network.Links.Where(l => l.Vms.Contains(v.Name)).Select(l => l.Id)));
        }
        if (state.Namespaces.Contains(state.Prefix + "sw"))
            rows.Add(View("sw", "switch", null, []));
        return rows.ToImmutable();
    }

    /// <summary>The IPv4 addresses in <c>ip -4 -o addr show</c> output, loopback left out.</summary>
    public static IReadOnlyList<string> ParseAddresses(string output)
    {
        var found = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var inet = Array.IndexOf(words, "inet");
            if (inet < 0 || inet + 1 >= words.Length || words.Length < 2 || words[1] == "lo") continue;
            found.Add($"{words[inet + 1]} ({words[1].TrimEnd(':').Split('@')[0]})");
        }
        return found;
    }

    /// <summary>Pairs of a lab's VMs that can ping each other: both have an IPv4 address in the same subnet.</summary>
    public static IEnumerable<(LabVm From, LabVm To)> PingPairs(LabDefinition lab)
    {
        var vms = lab.Vms.Where(v => v.Address is not null).ToList();
        for (var i = 0; i < vms.Count; i++)
            for (var j = 0; j < vms.Count; j++)
                if (i != j && vms[i].PrefixLength == vms[j].PrefixLength && SameSubnet(vms[i], vms[j]))
                    yield return (vms[i], vms[j]);
    }

    private static bool SameSubnet(LabVm a, LabVm b)
    {
        static uint Value(System.Net.IPAddress ip) { var x = ip.GetAddressBytes(); return (uint)(x[0] << 24 | x[1] << 16 | x[2] << 8 | x[3]); }
        var mask = a.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - a.PrefixLength);
        return (Value(a.Address!) & mask) == (Value(b.Address!) & mask);
    }
}

/// <summary>The machine as it is: <c>ip netns</c>, /proc and <c>ip addr</c>.</summary>
public sealed class SystemLabProbe : ILabProbe
{
    private readonly HashSet<string> _namespaces = Shell.Namespaces();

    /// <inheritdoc/>
    public bool NamespaceExists(string name) => _namespaces.Contains(name);

    /// <inheritdoc/>
    public bool Alive(int pid) => Shell.Alive(pid);

    /// <inheritdoc/>
    public IReadOnlyList<string> Addresses(string name) =>
        LabInspect.ParseAddresses(Shell.Run("ip", ["-n", name, "-4", "-o", "addr", "show"], check: false).Output);
}
