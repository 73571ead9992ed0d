using VNet.Messages;

namespace VNet.Actors.Topology;

/// <summary>A host as placement sees it: its description and whether links can be made on it now.</summary>
public sealed record PlacementCandidate(HostInfo Info, bool Ready);

/// <summary>Where a VM goes: a host, or why none fits.</summary>
public sealed record PlacementResult(HostInfo? Host, string? Problem)
{
    /// <summary>A host was chosen.</summary>
    public static PlacementResult To(HostInfo host) => new(host, null);

    /// <summary>No host fits; <paramref name="problem"/> says why.</summary>
    public static PlacementResult None(string problem) => new(null, problem);
}

/// <summary>
/// Places a VM on a host, pure: a VM pinned to a host goes there; an
/// unpinned VM goes to the ready host with the lowest load C_n among those that offer it, preferring
/// hosts not already used by the same link (a link joins VMs on different hosts). Ties go to the
/// host name in ordinal order, so every manager places alike.
/// </summary>
public static class Placement
{
    /// <summary>Chooses the host of <paramref name="vm"/> among <paramref name="hosts"/>, avoiding <paramref name="avoid"/> when it can.</summary>
    public static PlacementResult Choose(VmRef vm, IEnumerable<PlacementCandidate> hosts, IReadOnlySet<string>? avoid = null)
    {
        var offering = hosts.Where(h => h.Info.Vm(vm.Vm) is not null && (vm.Host is null || h.Info.Name == vm.Host)).ToList();
        if (offering.Count == 0)
            return PlacementResult.None(vm.Host is null
                ? $"unknown VM '{vm.Vm}': no host in the cluster offers it"
                : $"host {vm.Host} does not offer VM '{vm.Vm}' (or is unknown)");
        var ready = offering.Where(h => h.Ready).ToList();
        if (ready.Count == 0)
            return PlacementResult.None($"VM '{vm.Vm}' is only offered by host(s) that are down: {string.Join(", ", offering.Select(h => h.Info.Name).Order(StringComparer.Ordinal))}");
        var best = ready
            .OrderBy(h => avoid is not null && avoid.Contains(h.Info.Name) ? 1 : 0)
            .ThenBy(h => h.Info.Load)
            .ThenBy(h => h.Info.Name, StringComparer.Ordinal)
            .First();
        return PlacementResult.To(best.Info);
    }

    /// <summary>
    /// The endpoints of a link: each VM on its host (keeping <paramref name="previous"/>'s host for a
    /// VM while that host is ready and still offers it, so a link comes back where it was), with the
    /// first NIC of the VM. Returns the endpoints or every problem.
    /// </summary>
    public static (IReadOnlyList<LinkEndpoint> Endpoints, IReadOnlyList<string> Problems) Endpoints(
        IReadOnlyList<VmRef> vms, IReadOnlyCollection<PlacementCandidate> hosts, LinkSpec? previous = null)
    {
        var problems = new List<string>();
        var ends = new List<LinkEndpoint>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dup in vms.GroupBy(v => v.Vm).Where(g => g.Count() > 1)) problems.Add($"VM '{dup.Key}' is named twice");
        foreach (var vm in vms)
        {
            var before = previous?.Endpoints.FirstOrDefault(e => e.Vm == vm.Vm)?.Host;
            var sticky = before is null ? null : hosts.FirstOrDefault(h => h.Info.Name == before && h.Ready && h.Info.Vm(vm.Vm) is not null && (vm.Host is null || vm.Host == before));
            var result = sticky is not null ? PlacementResult.To(sticky.Info) : Choose(vm, hosts, used);
            if (result.Host is not { } host)
            {
                problems.Add(result.Problem!);
                continue;
            }
            var nic = host.Vm(vm.Vm)!.Nics.FirstOrDefault();
            if (nic is null)
            {
                problems.Add($"VM '{vm.Vm}' on {host.Name} has no NIC");
                continue;
            }
            used.Add(host.Name);
            ends.Add(new LinkEndpoint(host.Name, vm.Vm, nic.Mac, host.SubstrateAddress) { HostInterface = nic.HostInterface });
        }
        if (problems.Count == 0)
        {
            var sameHost = ends.GroupBy(e => e.Host).FirstOrDefault(g => g.Count() > 1);
            if (sameHost is not null)
                problems.Add($"VMs {string.Join(", ", sameHost.Select(e => e.Vm))} are on the same host {sameHost.Key}: a link joins VMs on different hosts");
        }
        return (ends, problems);
    }
}
