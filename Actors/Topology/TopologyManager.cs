using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using VNet.Actors.Topology.Lifecycle;
using VNet.Messages;
using VNet.Messages.Commands;
using static VNet.Messages.TopologyProtocol;

namespace VNet.Actors.Topology;

/// <summary>
/// The cluster singleton: the registry of hosts and their VMs (from host
/// announces, discovery answers and membership events), the desired virtual network (links named
/// by VM), and the state of each link. It places VMs (<see cref="Placement"/>), asks the initiating
/// host to create a link, marks a host's links Down when the host goes, and brings them back by
/// itself when every endpoint host is up again: it checks the hosts' link tables and re-creates
/// what a host lost. The desired network and the registry are replicated with Akka.DistributedData
/// (<see cref="TopologyReplica"/>), so a manager started on another node after this one's node was
/// killed knows them. States: Loading (reading the replicas) → Active.
/// </summary>
public sealed partial class TopologyManager : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private sealed record CreateOutcome(string LinkId, Guid Attempt, object Reply);

    private sealed record CheckOutcome(string LinkId, Guid Check, string? Broken, ImmutableArray<LinkEndState> Ends);

    private sealed record RemoveOutcome(string LinkId);

    private sealed record OptionsOutcome(string LinkId, LinkOptions Options, string? Error, IActorRef ReplyTo);

    private sealed record OptionsRecorded(OptionsOutcome Outcome);

    private sealed record Reconcile
    {
        public static Reconcile Instance { get; } = new();
    }

    private sealed record LoadTimeout
    {
        public static LoadTimeout Instance { get; } = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TopologySettings _settings;
    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkLifecycle> _links = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _creators = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IActorRef>> _deleters = new(StringComparer.Ordinal);
    // The last attempt of each link deleted or given up: an end of it reported later is dropped on its host.
    private readonly Dictionary<string, Guid> _forgotten = new(StringComparer.Ordinal);
    private readonly Dictionary<Address, UniqueAddress> _incarnations = new();
    private TopologyReplica? _replica;
    private int _loading;

    /// <inheritdoc/>
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props with default timings; <paramref name="createTimeout"/> bounds one link creation.</summary>
    public static Props Props(TimeSpan? createTimeout = null) =>
        Props(new TopologySettings { CreateTimeout = createTimeout ?? TimeSpan.FromSeconds(20) });

    /// <summary>Props.</summary>
    public static Props Props(TopologySettings settings) => Akka.Actor.Props.Create(() => new TopologyManager(settings));

    public TopologyManager(TopologySettings settings)
    {
        _settings = settings;
    }

    private DateTime Now => Context.System.Scheduler.Now.UtcDateTime;

    private bool InCluster => Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal);

    /// <inheritdoc/>
    protected override void PreStart()
    {
        _log.Info("topology manager started on {0}", Self.Path.Address);
        if (InCluster && _settings.Replicate)
        {
            _replica = new TopologyReplica(DistributedData.Get(Context.System).Replicator, Cluster.Get(Context.System), _settings.ReplicationTimeout);
            _loading = 2;
            _replica.Load(Self);
            Timers.StartSingleTimer(LoadTimeout.Instance, LoadTimeout.Instance, _settings.ReplicationTimeout + TimeSpan.FromSeconds(2));
            Become(Loading);
        }
        else
        {
            BecomeActive();
        }
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        if (InCluster) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    // ------------------------------------------------------------------ loading the replicas

    private void Loading()
    {
        Receive<GetSuccess>(g =>
        {
            if (g.Key.Equals(TopologyReplica.LinksKey)) LoadLinks(g.Get(TopologyReplica.LinksKey));
            else if (g.Key.Equals(TopologyReplica.HostsKey)) LoadHosts(g.Get(TopologyReplica.HostsKey));
            Loaded();
        });
        Receive<NotFound>(_ => Loaded());
        Receive<GetFailure>(f =>
        {
            // No majority answered in time: take what this node's replica has (gossip keeps it close).
            _log.Warning("topology: majority read of {0} timed out; using the local replica", f.Key);
            _replica!.LoadLocal(f.Key, Self);
        });
        Receive<LoadTimeout>(_ =>
        {
            _log.Warning("topology: the replicated state did not load in time; starting with what arrived");
            BecomeActive();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void LoadLinks(LWWDictionary<string, DesiredLink> links)
    {
        foreach (var (id, intent) in links.Entries)
        {
            // Known from the replica, state unknown: checked against the hosts' tables before anything is re-made.
            _links[id] = new LinkLifecycle(intent, _settings, Guid.NewGuid, "checking (topology manager restarted)");
        }
        _log.Info("topology: {0} desired link(s) loaded from the replicas", links.Count);
    }

    private void LoadHosts(LWWDictionary<string, KnownHost> hosts)
    {
        foreach (var (name, known) in hosts.Entries)
            if (!_hosts.ContainsKey(name)) _hosts[name] = new HostState(known.Info, HostStatus.Down);
        _log.Info("topology: {0} host(s) loaded from the replicas", hosts.Count);
    }

    private void Loaded()
    {
        if (--_loading <= 0) BecomeActive();
    }

    private void BecomeActive()
    {
        Timers.Cancel(LoadTimeout.Instance);
        Become(Active);
        Stash.UnstashAll();
        if (InCluster)
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        Timers.StartPeriodicTimer(Reconcile.Instance, Reconcile.Instance, _settings.ReconcileInterval);
    }

    // ------------------------------------------------------------------ active

    private void Active()
    {
        Receive<HostAnnounce>(a => OnAnnounce(a.Host, Sender));
        Receive<Discovered>(OnDiscovered);
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            if (!IsCurrent(m.Member)) return;
            _incarnations.Remove(m.Member.Address);
            MarkNode(m.Member.Address, false, "left the cluster", removed: true);
        });
        Receive<ClusterEvent.UnreachableMember>(m => { if (IsCurrent(m.Member)) MarkNode(m.Member.Address, false, "is unreachable", removed: false); });
        Receive<ClusterEvent.ReachableMember>(m => { if (IsCurrent(m.Member)) MarkNode(m.Member.Address, true, "is reachable again", removed: false); });
        Receive<ClusterEvent.IMemberEvent>(m =>
        {
            if (m is ClusterEvent.MemberJoined or ClusterEvent.MemberUp or ClusterEvent.MemberWeaklyUp) _incarnations[m.Member.Address] = m.Member.UniqueAddress;
        });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<CreateLink>(OnCreate);
        Receive<CreateOutcome>(OnCreateOutcome);
        Receive<CheckOutcome>(OnCheckOutcome);
        Receive<DeleteLink>(OnDelete);
        Receive<RemoveOutcome>(r => { if (_links.TryGetValue(r.LinkId, out var link)) Carry(link, link.Removed()); });
        Receive<SetLinkOptions>(OnSetOptionsRequest);
        Receive<OptionsOutcome>(OnOptionsOutcome);
        Receive<OptionsRecorded>(OnOptionsRecorded);
        Receive<LinkReport>(OnReport);
        Receive<Reconcile>(_ => OnReconcile());
        Receive<GetHosts>(OnGetHosts);
        Receive<GetLinks>(OnGetLinks);
        Receive<GetNetwork>(_ => Sender.Tell(Running()));
        Receive<ApplyNetwork>(OnApplyNetwork);
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(t => _log.Info("topology: write of {0} reached no majority in time; it spreads by gossip", t.Key));
        Receive<IUpdateResponse>(r => _log.Warning("topology: replicated write of {0} failed: {1}", r.Key, r));
        Receive<GetSuccess>(_ => { });
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => { });
        Receive<LoadTimeout>(_ => { });
    }

    /// <summary>The whole state of link <paramref name="id"/> (phase and every end), or null for an unknown link.</summary>
    private LinkState? StateOf(string id) => _links.TryGetValue(id, out var link) ? link.State : null;

    private HostEntry Entry(HostState h) => new(h.Info, h.Status, _links.Values.Count(l => l.Hosts.Contains(h.Info.Name)), h.Ttl);

    // ------------------------------------------------------------------ commands

    private void OnCreate(CreateLink create)
    {
        var problems = new List<string>();
        if (!LinkSpec.IsValidId(create.Id)) problems.Add($"link id '{create.Id}' is not valid (1-32 letters, digits, '-', '_', '.')");
        else if (_links.TryGetValue(create.Id, out var existing))
            problems.Add(existing.Phase == LinkPhase.Deleting ? $"link {create.Id} is being deleted; create it again once it is gone" : $"link {create.Id} already exists");
        var (ends, placeProblems) = Placement.Endpoints([.. create.Vms.Select(VmRef.Parse)], Candidates(settled: false));
        problems.AddRange(placeProblems);
        foreach (var end in ends)
            foreach (var other in _links.Values.Where(l => l.Spec?.Endpoints.Any(e => e.Mac == end.Mac) == true))
                problems.Add($"VM {end.Vm}'s NIC {end.Mac} is already on link {other.Spec!.Id} (a NIC is one cable: one link or segment)");
        LinkSpec? spec = null;
        if (ends.Count == create.Vms.Length)
        {
            // Every VM resolved: the link's own rules (endpoint count, options, ids) are reported too.
            spec = new LinkSpec(create.Id, create.Kind, [.. ends], create.Options) { PreferredProtocol = create.PreferredProtocol };
            problems.AddRange(spec.Problems().Where(p => !problems.Contains(p)));
        }
        if (problems.Count > 0)
        {
            Sender.Tell(new LinkRejected(create.Id, [.. problems]));
            return;
        }
        var intent = new DesiredLink(create.Id, create.Kind, create.Vms, create.Options) { Placement = spec };
        var link = new LinkLifecycle(intent, _settings, Guid.NewGuid, "not made yet");
        _links[create.Id] = link;
        _forgotten.Remove(create.Id);
        _creators[create.Id] = Sender;
        _replica?.WriteLink(intent);
        Carry(link, link.Create(spec!, Now));
    }

    /// <summary>Carries out what the lifecycle of <paramref name="link"/> decided.</summary>
    private void Carry(LinkLifecycle link, ImmutableArray<LifecycleDecision> decisions)
    {
        var id = link.Intent.Id;
        foreach (var decision in decisions)
        {
            switch (decision)
            {
                case LifecycleDecision.StartNegotiation start:
                    StartNegotiation(start.Spec, start.DeleteFirst);
                    break;
                case LifecycleDecision.StartCheck check:
                    StartCheck(check.Check, check.Spec);
                    break;
                case LifecycleDecision.AnswerCreator answer when _creators.Remove(id, out var creator):
                    if (answer.Failure is null)
                    {
                        _log.Info("link {0} created: every end runs ({1}, protocol number {2})", id, string.Join(" <-> ", answer.State.Link.Endpoints), answer.State.Link.Protocol);
                        creator.Tell(new LinkCreated(answer.State));
                    }
                    else
                    {
                        _log.Warning("link {0} could not be created: {1}", id, answer.Failure);
                        creator.Tell(new LinkRejected(id, [answer.Failure]));
                    }
                    break;
                case LifecycleDecision.TellHostsDelete tell:
                    TellHosts(tell.Spec, new LinkProtocol.Delete(id));
                    break;
                case LifecycleDecision.RemoveFromHosts remove:
                    RemoveFromHosts(remove.Spec);
                    break;
                case LifecycleDecision.RecordIntent record:
                    _replica?.WriteLink(record.Intent);
                    break;
                case LifecycleDecision.Recovered back:
                    _log.Info("link {0} is back: {1}, protocol number {2}", id, string.Join(" <-> ", back.Spec.Endpoints), back.Spec.Protocol);
                    break;
                case LifecycleDecision.RetryScheduled retry:
                    _log.Warning("link {0} could not be made ({1}); trying again in {2:0} s", id, retry.Reason, retry.Delay.TotalSeconds);
                    break;
                case LifecycleDecision.Forget:
                    if (_links.TryGetValue(id, out var current) && ReferenceEquals(current, link)) _links.Remove(id);
                    _forgotten[id] = link.Attempt;
                    _replica?.RemoveLink(id);
                    if (_deleters.Remove(id, out var deleters))
                        foreach (var deleter in deleters) deleter.Tell(new LinkDeleted(id));
                    break;
            }
        }
    }

    /// <summary>Asks the initiating host to make the link; with <paramref name="deleteFirst"/> every endpoint host first drops what it has of it.</summary>
    private void StartNegotiation(LinkSpec spec, bool deleteFirst)
    {
        var id = spec.Id;
        var attempt = spec.Attempt;
        var initiatorName = spec.Endpoints[0].Host;
        var initiator = _hosts[initiatorName].Actor!;
        var deletes = deleteFirst ? spec.Endpoints.Select(e => e.Host).Distinct().Select(h => _hosts[h].Actor).OfType<IActorRef>().ToList() : [];
        var createTimeout = _settings.CreateTimeout;
        var askTimeout = _settings.HostAskTimeout;
        Run().PipeTo(Self);

        async Task<CreateOutcome> Run()
        {
            foreach (var host in deletes)
            {
                try
                {
                    await host.Ask<object>(new LinkProtocol.Delete(id), askTimeout);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    // A host that does not answer has nothing the new link could clash with yet.
                }
            }
            try
            {
                return new CreateOutcome(id, attempt, await initiator.Ask<object>(new LinkProtocol.Create(spec), createTimeout));
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return new CreateOutcome(id, attempt, new LinkProtocol.CreateFailed(id, $"host {initiatorName} did not answer within {createTimeout.TotalSeconds:0} s"));
            }
        }
    }

    private void OnCreateOutcome(CreateOutcome outcome)
    {
        if (!_links.TryGetValue(outcome.LinkId, out var link))
        {
            if (outcome.Reply is LinkProtocol.Created late)
                TellHosts(late.Link, new LinkProtocol.Delete(outcome.LinkId)); // deleted while being made: nothing half-made stays
            return;
        }
        Carry(link, outcome.Reply switch
        {
            LinkProtocol.Created created => link.Negotiated(outcome.Attempt, created.Link, Now),
            LinkProtocol.CreateFailed failed => link.NegotiationFailed(outcome.Attempt, failed.Reason, Now),
            _ => link.NegotiationFailed(outcome.Attempt, $"unexpected answer {outcome.Reply}", Now),
        });
    }

    private void OnDelete(DeleteLink delete)
    {
        if (!_links.TryGetValue(delete.Id, out var link))
        {
            Sender.Tell(NoLink(delete.Id));
            return;
        }
        if (!_deleters.TryGetValue(delete.Id, out var deleters)) _deleters[delete.Id] = deleters = [];
        deleters.Add(Sender);
        Carry(link, link.DeleteRequested(Now));
    }

    /// <summary>Asks every endpoint host that is up to drop the link; answers with <see cref="RemoveOutcome"/> once all did or timed out.</summary>
    private void RemoveFromHosts(LinkSpec spec)
    {
        var id = spec.Id;
        var timeout = _settings.HostAskTimeout;
        var asks = spec.Endpoints.Select(e => e.Host).Distinct()
            .Select(h => _hosts.GetValueOrDefault(h))
            .Where(h => h is { Up: true, Actor: not null })
            .Select(async h =>
            {
                try
                {
                    await h!.Actor!.Ask<object>(new LinkProtocol.Delete(id), timeout);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    // A host that does not answer drops the link when it restarts, or when it reports it.
                }
            });
        Task.WhenAll(asks).ContinueWith(_ => new RemoveOutcome(id)).PipeTo(Self);
    }

    /// <summary>
    /// Applies the changes of <paramref name="set"/> to the link's current options (the previous change
    /// of the same link has finished: <see cref="OnSetOptionsRequest"/> keeps them in order).
    /// </summary>
    private void OnSetOptions(SetLinkOptions set, IActorRef replyTo)
    {
        if (!_links.TryGetValue(set.Id, out var link) || link.Phase == LinkPhase.Deleting)
        {
            replyTo.Tell(NoLink(set.Id));
            NextOptionChange(set.Id);
            return;
        }
        var options = set.Changes.ApplyTo(link.Intent.Options);
        var problems = options.Problems().Concat(link.Intent.Kind.OptionProblems(options)).ToList();
        if (problems.Count > 0)
        {
            replyTo.Tell(new LinkRejected(set.Id, [.. problems.Select(p => $"link {set.Id}: {p}")]));
            NextOptionChange(set.Id);
            return;
        }
        var targets = link.Hosts.Select(h => (Name: h, Host: _hosts.GetValueOrDefault(h))).ToList();
        var timeout = _settings.HostAskTimeout;
        var asks = targets.Select(async t =>
        {
            if (t.Host is not { Up: true, Actor: { } actor }) return $"host {t.Name} is down";
            try
            {
                var reply = await actor.Ask<object>(new LinkProtocol.SetOptions(set.Id, options), timeout);
                return reply is LinkProtocol.CreateFailed f ? f.Reason : null;
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return $"host {t.Name} did not answer";
            }
        });
        Task.WhenAll(asks).ContinueWith(t =>
        {
            var errors = t.Result.Where(e => e is not null).ToList();
            return new OptionsOutcome(set.Id, options, errors.Count == 0 ? null : string.Join("; ", errors), replyTo);
        }).PipeTo(Self);
    }

    private void OnOptionsOutcome(OptionsOutcome o)
    {
        // The intent keeps the new options, so links brought back later have them too; the answer
        // waits until that intent is stored (every node's disk, a majority), so a change the user
        // was told about survives even the loss of every node right after.
        if (o.Error is null && _links.TryGetValue(o.LinkId, out var link))
        {
            var decisions = link.OptionsChanged(o.Options);
            Carry(link, [.. decisions.Where(d => d is not LifecycleDecision.RecordIntent)]);
            if (_replica is not null && decisions.OfType<LifecycleDecision.RecordIntent>().LastOrDefault() is { } record)
            {
                _replica.WriteLinkAsync(record.Intent).PipeTo(Self, success: () => new OptionsRecorded(o));
                return;
            }
        }
        OnOptionsRecorded(new OptionsRecorded(o));
    }

    private void OnOptionsRecorded(OptionsRecorded recorded)
    {
        var o = recorded.Outcome;
        o.ReplyTo.Tell(o.Error is not null ? new LinkRejected(o.LinkId, [o.Error])
            : StateOf(o.LinkId) is { } state ? new LinkOptionsSet(state) : NoLink(o.LinkId));
        NextOptionChange(o.LinkId);
    }

    private void OnReport(LinkReport report)
    {
        if (_links.TryGetValue(report.LinkId, out var link))
        {
            Carry(link, link.EndReported(report.Attempt, report.End, Now));
            return;
        }
        // An end of a link deleted (or given up) while it was being made, started after the delete
        // reached its host: nothing half-made stays.
        if (_forgotten.TryGetValue(report.LinkId, out var attempt) && attempt == report.Attempt && report.End.Status != LinkStatus.Failed)
            Sender.Tell(new LinkProtocol.Delete(report.LinkId));
    }

    private void TellHosts(LinkSpec spec, object message)
    {
        foreach (var host in spec.Endpoints.Select(e => e.Host).Distinct())
            if (_hosts.TryGetValue(host, out var h)) h.Actor?.Tell(message);
    }
}
