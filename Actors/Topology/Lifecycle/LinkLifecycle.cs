using System.Collections.Immutable;
using VNet.Messages;
using VNet.Messages.Commands;
using D = VNet.Actors.Topology.Lifecycle.LifecycleDecision;

namespace VNet.Actors.Topology.Lifecycle;

/// <summary>
/// The life of one link as the TopologyManager drives it, free of actors and clocks: events go in
/// (a user asks for it, the negotiation ends, an end reports, a host goes or comes back, a reconcile
/// tick, a delete), <see cref="LifecycleDecision"/>s come out, and the manager carries them out.
/// The time is passed in; new attempt ids come from the function given to the constructor.
/// <para>
/// Phases (<see cref="LinkPhase"/>): a user's request starts in <c>Negotiating</c> (the initiator
/// was asked) → <c>Establishing</c> (agreed; waiting for every end to report its data plane
/// running) → <c>Established</c>, or <c>Degraded</c> while an end restarts a worker or waits for
/// its VM interface. A lost host puts the link in <c>WaitingForHost</c>; a failed attempt in
/// <c>BackingOff</c> until its next try (the waits double from
/// <see cref="TopologySettings.RetryMin"/> to <see cref="TopologySettings.RetryMax"/> and start
/// again once the link runs); a link that cannot be placed with every host present is
/// <c>Failed</c> until a host comes back or changes. From either waiting phase the link is first
/// checked against the hosts' link tables (<c>Establishing</c> while the check runs) and made
/// anew only when some host lost it. <c>Deleting</c> lasts until the hosts dropped it.
/// </para>
/// <para>
/// The user who asked for the link waits for its answer until every end runs, or hears why not
/// (the negotiation failed, an end failed, a host went away, an end did not start in time); a link
/// that could not be made for its user leaves nothing behind. Reports of an end carry the
/// <see cref="LinkSpec.Attempt"/> they belong to; those of an earlier attempt are ignored.
/// </para>
/// </summary>
public sealed class LinkLifecycle
{
    private readonly TopologySettings _settings;
    private readonly Func<Guid> _newId;
    private ImmutableArray<LinkEndState> _ends;
    private Guid? _check;
    private DateTime _deadline;

    /// <summary>
    /// A link known from its intent but not made by this manager (loaded from the replicas): it
    /// waits in <see cref="LinkPhase.WaitingForHost"/> with <paramref name="detail"/> until a tick
    /// finds its hosts and checks them. Call <see cref="Create"/> instead for a user's request.
    /// </summary>
    public LinkLifecycle(DesiredLink intent, TopologySettings settings, Func<Guid> newId, string detail)
    {
        _settings = settings;
        _newId = newId;
        Intent = intent;
        Spec = intent.Placement;
        Phase = LinkPhase.WaitingForHost;
        Detail = detail;
        _ends = FreshEnds(Spec ?? Unplaced(intent));
    }

    /// <summary>What was asked, and where the link was last made (without its key).</summary>
    public DesiredLink Intent { get; private set; }

    /// <summary>The link as placed or made now (hosts, MACs, number, attempt), or null before it was placed.</summary>
    public LinkSpec? Spec { get; private set; }

    /// <summary>Where the link is in its life.</summary>
    public LinkPhase Phase { get; private set; }

    /// <summary>Why it is in that phase, or null.</summary>
    public string? Detail { get; private set; }

    /// <summary>Failed attempts since the link last ran; sets the back-off.</summary>
    public int Failures { get; private set; }

    /// <summary>Not before this time is a <see cref="LinkPhase.BackingOff"/> link tried again.</summary>
    public DateTime NextAttempt { get; private set; }

    /// <summary>True while a user waits for the answer to creating the link.</summary>
    public bool CreatorWaiting { get; private set; }

    /// <summary>The id of the current making of the link (empty before any).</summary>
    public Guid Attempt => Spec?.Attempt ?? Guid.Empty;

    /// <summary>The hosts the link spans, once placed.</summary>
    public IEnumerable<string> Hosts => Spec?.Endpoints.Select(e => e.Host).Distinct() ?? [];

    /// <summary>Every end as last reported, in the order of the endpoints.</summary>
    public ImmutableArray<LinkEndState> Ends => _ends;

    /// <summary>The whole state of the link (never with its key).</summary>
    public LinkState State => new((Spec ?? Unplaced(Intent)) with { Key = ImmutableArray<byte>.Empty }, Phase, Detail, _ends);

    /// <summary>The state in the older per-host vocabulary (<c>link show</c>'s status column).</summary>
    public LinkStatus Status => Phase switch
    {
        LinkPhase.Negotiating => LinkStatus.Negotiating,
        LinkPhase.Establishing when _check is null => LinkStatus.Negotiating,
        LinkPhase.Establishing => LinkStatus.Down,
        LinkPhase.Established => LinkStatus.Established,
        LinkPhase.Degraded => _ends.Any(e => e.Status == LinkStatus.Waiting) ? LinkStatus.Waiting : LinkStatus.Restarting,
        LinkPhase.BackingOff or LinkPhase.Failed => LinkStatus.Failed,
        _ => LinkStatus.Down,
    };

    // ------------------------------------------------------------------ events

    /// <summary>A user asks for the link, placed as <paramref name="spec"/>; the user waits for the answer.</summary>
    public ImmutableArray<D> Create(LinkSpec spec, DateTime now)
    {
        CreatorWaiting = true;
        return Negotiate(spec, deleteFirst: false);
    }

    /// <summary>The initiator made its end of <paramref name="attempt"/>: the link as agreed (number, ports).</summary>
    public ImmutableArray<D> Negotiated(Guid attempt, LinkSpec spec, DateTime now)
    {
        if (Phase != LinkPhase.Negotiating || attempt != Attempt) return [];
        Spec = spec;
        Phase = LinkPhase.Establishing;
        Detail = "waiting for every end to start";
        _deadline = now + _settings.StartTimeout;
        // Ends that have not reported yet get the agreed number and ports; reported ends keep their own.
        _ends = [.. _ends.Select(e => Started(e) ? e : e with
        {
            Protocol = spec.Protocol,
            Port = spec.EndpointOn(e.Host)?.Port ?? 0,
        })];
        return Progress();
    }

    /// <summary>The negotiation of <paramref name="attempt"/> failed, or the initiator did not answer.</summary>
    public ImmutableArray<D> NegotiationFailed(Guid attempt, string reason, DateTime now) =>
        Phase == LinkPhase.Negotiating && attempt == Attempt ? Fail(reason, now) : [];

    /// <summary>A host reports its end of the link as it is now.</summary>
    public ImmutableArray<D> EndReported(Guid attempt, LinkEndState end, DateTime now)
    {
        if (attempt != Attempt || attempt == Guid.Empty) return [];
        var index = -1;
        for (var i = 0; i < _ends.Length && index < 0; i++)
            if (_ends[i].Host == end.Host) index = i;
        if (index < 0) return [];
        if (Phase == LinkPhase.Deleting)
            // Made on a host after the delete reached it (the confirmation overtook it): drop it too.
            return end.Status is LinkStatus.Failed || Spec is null ? [] : [new D.TellHostsDelete(Spec)];
        _ends = _ends.SetItem(index, end);
        var failed = end.Status == LinkStatus.Failed;
        switch (Phase)
        {
            case LinkPhase.Negotiating:
                return failed ? Fail($"{end.Host}: {end.Detail}", now) : [];
            case LinkPhase.Establishing when _check is null:
                return failed ? Fail($"{end.Host}: {end.Detail}", now) : Progress();
            case LinkPhase.Established or LinkPhase.Degraded:
                if (failed) return Fail($"{end.Host}: {end.Detail}", now);
                SetRunningPhase();
                return [];
            default:
                // Waiting, backing off, or checking: the end is noted; the next check decides.
                return [];
        }
    }

    /// <summary><paramref name="host"/> left the cluster or became unreachable (<paramref name="why"/>).</summary>
    public ImmutableArray<D> HostLost(string host, string why, DateTime now) =>
        LoseHost(host, $"host {host} {why}", now);

    /// <summary>The vnetd of <paramref name="host"/> restarted: it has lost its ends of every link.</summary>
    public ImmutableArray<D> HostRestarted(string host, DateTime now) =>
        LoseHost(host, $"host {host} restarted", now);

    /// <summary>A host joined again or changed what it offers: a <see cref="LinkPhase.Failed"/> link is tried again.</summary>
    public ImmutableArray<D> HostsChanged(DateTime now)
    {
        if (Phase != LinkPhase.Failed) return [];
        Phase = LinkPhase.BackingOff;
        NextAttempt = now;
        return [];
    }

    /// <summary>
    /// The reconcile tick: a waiting link is placed with <paramref name="place"/> and checked or made
    /// again; an end that did not start in time fails its attempt.
    /// </summary>
    public ImmutableArray<D> Tick(DateTime now, Func<LinkPlacement> place)
    {
        switch (Phase)
        {
            case LinkPhase.Establishing when _check is null && now >= _deadline:
                var silent = _ends.Where(e => !Started(e)).Select(e => e.Host).Distinct().ToList();
                return Fail($"the end on host {string.Join(", ", silent)} did not start within {_settings.StartTimeout.TotalSeconds:0.#} s of the agreement", now);
            case LinkPhase.WaitingForHost:
            case LinkPhase.BackingOff when now >= NextAttempt:
                return Recover(place, remake: false);
            default:
                return [];
        }
    }

    /// <summary>
    /// The hosts' link tables were read for check <paramref name="check"/>: <paramref name="broken"/>
    /// says what some host lost (the link is made again), or is null when every host runs it as
    /// <paramref name="ends"/> tell.
    /// </summary>
    public ImmutableArray<D> Checked(Guid check, string? broken, IReadOnlyList<LinkEndState> ends, DateTime now, Func<LinkPlacement> place)
    {
        if (Phase != LinkPhase.Establishing || _check != check) return [];
        _check = null;
        if (broken is not null)
        {
            Detail = broken;
            return Recover(place, remake: true);
        }
        _ends = [.. _ends.Select(e => ends.FirstOrDefault(x => x.Host == e.Host) ?? e)];
        Failures = 0;
        SetRunningPhase();
        return [];
    }

    /// <summary>The link's options were changed on every host.</summary>
    public ImmutableArray<D> OptionsChanged(LinkOptions options)
    {
        if (Spec is not null) Spec = Spec with { Options = options };
        Intent = Intent with { Options = options, Placement = Spec is null ? Intent.Placement : Spec with { Key = ImmutableArray<byte>.Empty } };
        return [new D.RecordIntent(Intent)];
    }

    /// <summary>A user deletes the link.</summary>
    public ImmutableArray<D> DeleteRequested(DateTime now)
    {
        if (Phase == LinkPhase.Deleting) return [];
        var decisions = ImmutableArray.CreateBuilder<D>();
        Phase = LinkPhase.Deleting;
        Detail = "being deleted";
        _check = null;
        if (CreatorWaiting)
        {
            CreatorWaiting = false;
            decisions.Add(new D.AnswerCreator(State, $"link {Intent.Id} was deleted while being created"));
        }
        decisions.Add(Spec is null ? D.Forget.Instance : new D.RemoveFromHosts(Spec));
        return decisions.ToImmutable();
    }

    /// <summary>Every host answered the delete (or could not be reached).</summary>
    public ImmutableArray<D> Removed() => Phase == LinkPhase.Deleting ? [D.Forget.Instance] : [];

    // ------------------------------------------------------------------ steps

    private ImmutableArray<D> Negotiate(LinkSpec placed, bool deleteFirst)
    {
        _check = null;
        Spec = placed with { Attempt = _newId() };
        Phase = LinkPhase.Negotiating;
        Detail = null;
        _ends = FreshEnds(Spec);
        // The initiator negotiates the number and the ports anew.
        var fresh = Spec with { Protocol = 0, Endpoints = [.. Spec.Endpoints.Select(e => e with { Port = 0 })] };
        return [new D.StartNegotiation(fresh, deleteFirst)];
    }

    private ImmutableArray<D> Recover(Func<LinkPlacement> place, bool remake)
    {
        var placement = place();
        if (placement.Spec is null)
        {
            if (!placement.WaitingFor.IsDefaultOrEmpty)
            {
                Phase = LinkPhase.WaitingForHost;
                Detail = $"waiting for host {string.Join(", ", placement.WaitingFor)}";
            }
            else
            {
                Phase = LinkPhase.Failed;
                Detail = string.Join("; ", placement.Problems);
            }
            return [];
        }
        // The number the link had is asked for first (kept where it is still free), else the one asked at creation.
        var previous = Spec is { Protocol: > 0 } s ? s.Protocol : Spec?.PreferredProtocol ?? 0;
        var spec = placement.Spec with { PreferredProtocol = previous };
        var sameHosts = Spec is not null && Spec.Endpoints.Select(e => e.Host).SequenceEqual(spec.Endpoints.Select(e => e.Host));
        if (!sameHosts || remake) return Negotiate(spec, deleteFirst: true);
        var check = _newId();
        _check = check;
        Phase = LinkPhase.Establishing;
        Detail = "checking that every host still runs it";
        return [new D.StartCheck(check, Spec!)];
    }

    private ImmutableArray<D> Progress()
    {
        if (Phase != LinkPhase.Establishing || _check is not null || !_ends.All(Started)) return [];
        Failures = 0;
        SetRunningPhase();
        Intent = Intent with { Placement = Spec! with { Key = ImmutableArray<byte>.Empty } };
        var decisions = ImmutableArray.CreateBuilder<D>();
        decisions.Add(new D.RecordIntent(Intent));
        if (CreatorWaiting)
        {
            CreatorWaiting = false;
            decisions.Add(new D.AnswerCreator(State, null));
        }
        else
        {
            decisions.Add(new D.Recovered(Spec!));
        }
        return decisions.ToImmutable();
    }

    private ImmutableArray<D> Fail(string reason, DateTime now)
    {
        _check = null;
        if (CreatorWaiting)
        {
            // Asked by a user: nothing half-made; the link goes and every host drops what it has of it.
            CreatorWaiting = false;
            Phase = LinkPhase.Failed;
            Detail = reason;
            var decisions = ImmutableArray.CreateBuilder<D>();
            decisions.Add(new D.AnswerCreator(State, reason));
            if (Spec is not null) decisions.Add(new D.TellHostsDelete(Spec));
            decisions.Add(D.Forget.Instance);
            return decisions.ToImmutable();
        }
        // Bringing a link back: the intent stays and the next attempt waits longer each time.
        Failures++;
        var delay = _settings.RetryDelay(Failures);
        Phase = LinkPhase.BackingOff;
        Detail = reason;
        NextAttempt = now + delay;
        return [new D.RetryScheduled(NextAttempt, delay, reason)];
    }

    private ImmutableArray<D> LoseHost(string host, string why, DateTime now)
    {
        if (!Hosts.Contains(host) || Phase == LinkPhase.Deleting) return [];
        _ends = [.. _ends.Select(e => e.Host == host ? e with { Status = LinkStatus.Down, Detail = why } : e)];
        if (CreatorWaiting) return Fail(why, now);
        _check = null;
        Phase = LinkPhase.WaitingForHost;
        Detail = why;
        return [];
    }

    private void SetRunningPhase()
    {
        var troubled = _ends.FirstOrDefault(e => e.Status != LinkStatus.Established);
        Phase = troubled is null ? LinkPhase.Established : LinkPhase.Degraded;
        Detail = troubled switch
        {
            null => null,
            { Status: LinkStatus.Restarting } => $"{troubled.Host}: {troubled.Detail}",
            _ => troubled.Detail, // names the interface and the host, or the host that is away
        };
    }

    /// <summary>True once an end has reported its data plane started (it may be restarting or waiting since).</summary>
    private static bool Started(LinkEndState end) => end.Status is LinkStatus.Established or LinkStatus.Restarting or LinkStatus.Waiting;

    private static ImmutableArray<LinkEndState> FreshEnds(LinkSpec spec) =>
        [.. spec.Endpoints.Select(e => new LinkEndState(e.Host, e.Vm, LinkStatus.Negotiating, spec.Protocol, e.Port, 0, null, null))];

    /// <summary>The link before it was ever placed: the VMs as asked, hosts where pinned.</summary>
    private static LinkSpec Unplaced(DesiredLink intent) =>
        new(intent.Id, intent.Kind, [.. intent.Vms.Select(v => new LinkEndpoint(VmRef.Parse(v).Host ?? "?", VmRef.Parse(v).Vm, default, "0.0.0.0"))], intent.Options);
}
