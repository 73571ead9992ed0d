using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using VNet.Actors.Topology.Lifecycle;
using VNet.Messages;
using VNet.Messages.Commands;
using static VNet.Messages.TopologyProtocol;

namespace VNet.Actors.Topology;

/// <summary>
/// The host registry of the TopologyManager: announces, discovery answers and membership events
/// move each host between <see cref="HostStatus"/> states, and tell the lifecycles of the links on
/// it that the host went, restarted or came back.
/// </summary>
public sealed partial class TopologyManager
{
    /// <summary>A known host: what it offers, its HostActor, and where it is (<see cref="HostStatus"/>).</summary>
    private sealed class HostState(HostInfo info, HostStatus status)
    {
        public HostInfo Info { get; set; } = info;
        public IActorRef? Actor { get; set; }
        public HostStatus Status { get; set; } = status;
        public DateTime ReadySince { get; set; }
        public int? Ttl { get; set; }
        public bool Up => Status == HostStatus.Up;
    }

    private void OnAnnounce(HostInfo info, IActorRef actor)
    {
        var known = _hosts.TryGetValue(info.Name, out var host);
        if (!known)
        {
            host = new HostState(info, HostStatus.Discovered);
            _hosts[info.Name] = host;
            _log.Info("host {0} ({1}) registered with {2} VM(s)", info.Name, info.SubstrateAddress, info.Vms.Length);
        }
        var restarted = host!.Actor is not null && !host.Actor.Equals(actor);
        var back = !host.Up || host.Actor is null || restarted;
        var changed = Material(host.Info) != Material(info);
        var discoveredOnly = host.Status == HostStatus.Discovered;
        host.Info = info;
        host.Actor = actor;
        host.Status = HostStatus.Up;
        if (back)
        {
            host.ReadySince = Now;
            if (restarted) _log.Info("host {0} restarted: it has lost its links, they will be made again", info.Name);
            else if (known && !discoveredOnly) _log.Info("host {0} is up", info.Name);
            if (restarted)
                foreach (var link in LinksOn(info.Name).ToList()) Carry(link, link.HostRestarted(info.Name, Now));
        }
        if (changed || back)
        {
            _replica?.WriteHost(new KnownHost(info));
            foreach (var link in _links.Values.ToList()) Carry(link, link.HostsChanged(Now));
        }
    }

    /// <summary>What of a host description is worth replicating (not the load or the time it was read).</summary>
    private static string Material(HostInfo h) =>
        $"{h.SubstrateAddress}|{h.NodeAddress}|{string.Join(",", h.Interfaces.Select(i => $"{i.Name}/{i.IPv4}/{i.Mac}/{i.Gateway}"))}|{string.Join(",", h.Vms.Select(v => $"{v.Name}/{string.Join("+", v.Nics.Select(n => n.Mac))}"))}";

    private void OnDiscovered(Discovered d)
    {
        if (_hosts.TryGetValue(d.Host.Name, out var host))
        {
            host.Ttl = host.Ttl is { } t ? Math.Min(t, d.Ttl) : d.Ttl;
            // A newer answer replaces an older one; announces and answers alike carry when they were read.
            if (d.Host.ReadAt >= host.Info.ReadAt) host.Info = d.Host with { NodeAddress = d.Host.NodeAddress ?? host.Info.NodeAddress };
            return;
        }
        _hosts[d.Host.Name] = new HostState(d.Host, HostStatus.Discovered) { Ttl = d.Ttl };
        _log.Info("host {0} ({1}) discovered at TTL {2}", d.Host.Name, d.Host.SubstrateAddress, d.Ttl);
    }

    private void MarkNode(Address address, bool up, string why, bool removed)
    {
        var text = address.ToString();
        foreach (var host in _hosts.Values.Where(h => h.Info.NodeAddress == text))
        {
            if (removed) host.Actor = null;
            if (up)
            {
                if (host.Up || host.Actor is null) continue; // a removed node comes back through its announce
                host.Status = HostStatus.Up;
                host.ReadySince = Now;
                foreach (var link in _links.Values.ToList()) Carry(link, link.HostsChanged(Now));
            }
            else
            {
                var wasUp = host.Up;
                host.Status = removed ? HostStatus.Down : HostStatus.Unreachable;
                if (!wasUp) continue;
                foreach (var link in LinksOn(host.Info.Name).ToList()) Carry(link, link.HostLost(host.Info.Name, why, Now));
            }
            _log.Info("host {0} {1}", host.Info.Name, why);
        }
    }

    /// <summary>
    /// False for events about an earlier incarnation of a node that has already joined again (a host
    /// restarted at the same address): its removal must not mark the new incarnation down.
    /// </summary>
    private bool IsCurrent(Member member) =>
        !_incarnations.TryGetValue(member.Address, out var current) || current.Equals(member.UniqueAddress);

    private IEnumerable<LinkLifecycle> LinksOn(string host) => _links.Values.Where(l => l.Hosts.Contains(host));

    private bool Ready(HostState h) => h.Up && h.Actor is not null && Now - h.ReadySince >= _settings.Settle;

    private List<PlacementCandidate> Candidates(bool settled) =>
        [.. _hosts.Values.Select(h => new PlacementCandidate(h.Info, settled ? Ready(h) : h.Up && h.Actor is not null))];
}
