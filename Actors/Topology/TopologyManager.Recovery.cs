using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using VNet.Actors.Topology.Lifecycle;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Topology;

/// <summary>
/// How the TopologyManager brings links back: every reconcile tick, each link's lifecycle says
/// whether it is due; a due link whose endpoint hosts are all up and settled is checked against the
/// hosts' link tables, and one that some host lost (a restarted host has lost them all) is dropped
/// everywhere and negotiated anew by its initiator. Failures wait with back-off before the next attempt.
/// </summary>
public sealed partial class TopologyManager
{
    private void OnReconcile()
    {
        var now = Now;
        foreach (var link in _links.Values.ToList()) Carry(link, link.Tick(now, () => PlaceAgain(link)));
    }

    /// <summary>Where the link's VMs go now, among the hosts that are up and settled (its previous hosts first).</summary>
    private LinkPlacement PlaceAgain(LinkLifecycle link)
    {
        var intent = link.Intent;
        var (ends, problems) = Placement.Endpoints([.. intent.Vms.Select(VmRef.Parse)], Candidates(settled: true), link.Spec);
        if (problems.Count == 0) return new LinkPlacement(new LinkSpec(intent.Id, intent.Kind, [.. ends], intent.Options), [], []);
        // Some VM's host is down, or not settled yet: the link waits for it.
        var waiting = link.Hosts.Where(h => !_hosts.TryGetValue(h, out var s) || !Ready(s)).ToImmutableArray();
        return new LinkPlacement(null, waiting, [.. problems]);
    }

    /// <summary>Asks every endpoint host for its link table: a link they all still run is left alone.</summary>
    private void StartCheck(Guid check, LinkSpec spec)
    {
        var timeout = _settings.HostAskTimeout;
        var hosts = spec.Endpoints.Select(e => e.Host).Distinct().Select(h => (Name: h, Actor: _hosts[h].Actor!)).ToList();
        Run().PipeTo(Self);

        async Task<CheckOutcome> Run()
        {
            var ends = ImmutableArray.CreateBuilder<LinkEndState>();
            foreach (var (name, actor) in hosts)
            {
                try
                {
                    var table = await actor.Ask<LinkProtocol.Table>(LinkProtocol.GetTable.Instance, timeout);
                    var row = table.Rows.FirstOrDefault(r => r.Link.Id == spec.Id);
                    if (row is null) return new CheckOutcome(spec.Id, check, $"host {name} has lost it", []);
                    if (row.Status is not (LinkStatus.Established or LinkStatus.Restarting or LinkStatus.Waiting)) return new CheckOutcome(spec.Id, check, $"it is {row.Status.ToString().ToLowerInvariant()} on {name}", []);
                    if (row.Link.Negotiated != spec.Negotiated || row.Link.Attempt != spec.Attempt) return new CheckOutcome(spec.Id, check, $"host {name} runs another instance of it", []);
                    var end = row.Link.EndpointOn(name);
                    ends.Add(new LinkEndState(name, end?.Vm ?? "?", row.Status, row.Link.Protocol, end?.Port ?? 0, row.VmMtu, row.Transport, row.Detail == row.Transport ? null : row.Detail));
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return new CheckOutcome(spec.Id, check, $"host {name} did not show its links", []);
                }
            }
            return new CheckOutcome(spec.Id, check, null, ends.ToImmutable());
        }
    }

    private void OnCheckOutcome(CheckOutcome outcome)
    {
        if (!_links.TryGetValue(outcome.LinkId, out var link)) return;
        if (outcome.Broken is not null) _log.Info("link {0} must be made again: {1}", outcome.LinkId, outcome.Broken);
        Carry(link, link.Checked(outcome.Check, outcome.Broken, outcome.Ends, Now, () => PlaceAgain(link)));
    }
}
