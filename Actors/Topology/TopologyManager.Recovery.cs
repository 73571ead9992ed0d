using Akka.Actor;
using Akka.Event;
using VNet.Messages;

namespace VNet.Actors.Topology;

/// <summary>
/// How the TopologyManager brings links back: every reconcile tick, a link marked
/// for a check whose endpoint hosts are all up and settled is checked against the hosts' link
/// tables; one that some host lost (a restarted host has lost them all) is dropped everywhere and
/// negotiated anew by its initiator. Failures wait with back-off before the next attempt.
/// </summary>
public sealed partial class TopologyManager
{
    private void Retry(LinkState link, string reason)
    {
        link.Attempts++;
        link.Status = LinkStatus.Failed;
        link.Detail = reason;
        link.NeedsCheck = true;
        var delay = _settings.RetryDelay(link.Attempts);
        link.NextAttempt = Now + delay;
        _log.Warning("link {0} could not be made ({1}); trying again in {2:0} s", link.Intent.Id, reason, delay.TotalSeconds);
    }

    /// <summary>The number a re-made link asks for first: the one it had (kept where it is still free), else the one asked for when it was created.</summary>
    private static int PreviousNumber(LinkState link) =>
        link.Spec is { Protocol: > 0 } spec ? spec.Protocol : link.Spec?.PreferredProtocol ?? 0;

    private void OnReconcile()
    {
        var now = Now;
        foreach (var link in _links.Values.Where(l => l.NeedsCheck && !l.Busy && now >= l.NextAttempt).ToList())
        {
            var vms = link.Intent.Vms.Select(VmRef.Parse).ToList();
            var (ends, problems) = Placement.Endpoints(vms, Candidates(settled: true), link.Spec);
            if (problems.Count > 0)
            {
                // Some VM's host is down (or not settled yet): the link waits, marked Down.
                if (link.Status != LinkStatus.Failed)
                {
                    link.Status = LinkStatus.Down;
                    var waiting = link.Hosts.Where(h => !_hosts.TryGetValue(h, out var s) || !Ready(s)).ToList();
                    link.Detail = waiting.Count > 0 ? $"waiting for host {string.Join(", ", waiting)}" : string.Join("; ", problems);
                }
                continue;
            }
            var spec = new LinkSpec(link.Intent.Id, link.Intent.Kind, [.. ends], link.Intent.Options) { PreferredProtocol = PreviousNumber(link) };
            var sameHosts = link.Spec is not null && link.Spec.Endpoints.Select(e => e.Host).SequenceEqual(ends.Select(e => e.Host));
            if (sameHosts) StartVerify(link);
            else StartCreate(link, spec, deleteFirst: true, replyTo: null);
        }
    }

    /// <summary>Asks every endpoint host for its link table: a link they all still run is left alone.</summary>
    private void StartVerify(LinkState link)
    {
        link.Busy = true;
        link.Generation++;
        var generation = link.Generation;
        var spec = link.Spec!;
        var timeout = _settings.HostAskTimeout;
        var hosts = spec.Endpoints.Select(e => e.Host).Distinct().Select(h => (Name: h, Actor: _hosts[h].Actor!)).ToList();
        Run().PipeTo(Self);

        async Task<VerifyOutcome> Run()
        {
            foreach (var (name, actor) in hosts)
            {
                try
                {
                    var table = await actor.Ask<LinkProtocol.Table>(LinkProtocol.GetTable.Instance, timeout);
                    var row = table.Rows.FirstOrDefault(r => r.Link.Id == spec.Id);
                    if (row is null) return new VerifyOutcome(spec.Id, generation, $"host {name} has lost it");
                    if (row.Status is not (LinkStatus.Established or LinkStatus.Restarting or LinkStatus.Waiting)) return new VerifyOutcome(spec.Id, generation, $"it is {row.Status.ToString().ToLowerInvariant()} on {name}");
                    if (row.Link.Protocol != spec.Protocol) return new VerifyOutcome(spec.Id, generation, $"host {name} runs another instance of it");
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return new VerifyOutcome(spec.Id, generation, $"host {name} did not show its links");
                }
            }
            return new VerifyOutcome(spec.Id, generation, null);
        }
    }

    private void OnVerifyOutcome(VerifyOutcome outcome)
    {
        if (!_links.TryGetValue(outcome.LinkId, out var link) || link.Generation != outcome.Generation) return;
        link.Busy = false;
        if (outcome.Broken is null)
        {
            link.Status = LinkStatus.Established;
            link.Detail = null;
            link.NeedsCheck = false;
            link.Attempts = 0;
            return;
        }
        _log.Info("link {0} must be made again: {1}", outcome.LinkId, outcome.Broken);
        var vms = link.Intent.Vms.Select(VmRef.Parse).ToList();
        var (ends, problems) = Placement.Endpoints(vms, Candidates(settled: true), link.Spec);
        if (problems.Count > 0)
        {
            link.Status = LinkStatus.Down;
            link.Detail = string.Join("; ", problems);
            return;
        }
        StartCreate(link, new LinkSpec(link.Intent.Id, link.Intent.Kind, [.. ends], link.Intent.Options) { PreferredProtocol = PreviousNumber(link) }, deleteFirst: true, replyTo: null);
    }
}
