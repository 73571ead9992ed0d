using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
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
    private sealed record CreateOutcome(string LinkId, int Generation, object Reply, IActorRef? ReplyTo);

    private sealed record VerifyOutcome(string LinkId, int Generation, string? Broken);

    private sealed record OptionsOutcome(string LinkId, LinkOptions Options, string? Error, IActorRef ReplyTo);

    private sealed record Reconcile
    {
        public static Reconcile Instance { get; } = new();
    }

    private sealed record LoadTimeout
    {
        public static LoadTimeout Instance { get; } = new();
    }

    private sealed class HostState(HostInfo info)
    {
        public HostInfo Info { get; set; } = info;
        public IActorRef? Actor { get; set; }
        public bool Up { get; set; }
        public string State { get; set; } = "discovered";
        public DateTime ReadySince { get; set; }
        public int? Ttl { get; set; }
    }

    private sealed class LinkState(DesiredLink intent)
    {
        public DesiredLink Intent { get; set; } = intent;
        public LinkSpec? Spec { get; set; } = intent.Placement;
        public LinkStatus Status { get; set; } = LinkStatus.Negotiating;
        public string? Detail { get; set; }
        public bool Busy { get; set; }
        public int Generation { get; set; }
        public bool NeedsCheck { get; set; }
        public int Attempts { get; set; }
        public DateTime NextAttempt { get; set; }

        public IEnumerable<string> Hosts => Spec?.Endpoints.Select(e => e.Host).Distinct() ?? [];
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TopologySettings _settings;
    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkState> _links = new(StringComparer.Ordinal);
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
            _links[id] = new LinkState(intent) { Status = LinkStatus.Down, Detail = "checking (topology manager restarted)", NeedsCheck = true };
        }
        _log.Info("topology: {0} desired link(s) loaded from the replicas", links.Count);
    }

    private void LoadHosts(LWWDictionary<string, KnownHost> hosts)
    {
        foreach (var (name, known) in hosts.Entries)
            if (!_hosts.ContainsKey(name)) _hosts[name] = new HostState(known.Info) { State = "down" };
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
        Receive<VerifyOutcome>(OnVerifyOutcome);
        Receive<DeleteLink>(OnDelete);
        Receive<SetLinkOptions>(OnSetOptionsRequest);
        Receive<OptionsOutcome>(OnOptionsOutcome);
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

    private HostEntry Entry(HostState h) => new(h.Info, StatusOf(h), _links.Values.Count(l => l.Hosts.Contains(h.Info.Name)), h.Ttl);

    private static LinkSpec Unplaced(DesiredLink intent) =>
        new(intent.Id, intent.Kind, [.. intent.Vms.Select(v => new LinkEndpoint(VmRef.Parse(v).Host ?? "?", VmRef.Parse(v).Vm, default, "0.0.0.0"))], intent.Options);

    // ------------------------------------------------------------------ hosts

    private void OnAnnounce(HostInfo info, IActorRef actor)
    {
        var known = _hosts.TryGetValue(info.Name, out var host);
        if (!known)
        {
            host = new HostState(info);
            _hosts[info.Name] = host;
            _log.Info("host {0} ({1}) registered with {2} VM(s)", info.Name, info.SubstrateAddress, info.Vms.Length);
        }
        var restarted = host!.Actor is not null && !host.Actor.Equals(actor);
        var back = !host.Up || host.Actor is null || restarted;
        var changed = Material(host.Info) != Material(info);
        var discoveredOnly = host.State == "discovered";
        host.Info = info;
        host.Actor = actor;
        host.Up = true;
        host.State = "up";
        if (back)
        {
            host.ReadySince = Now;
            if (restarted) _log.Info("host {0} restarted: it has lost its links, they will be made again", info.Name);
            else if (known && !discoveredOnly) _log.Info("host {0} is up", info.Name);
            foreach (var link in LinksOn(info.Name)) link.NeedsCheck = true;
            if (restarted)
                foreach (var link in LinksOn(info.Name).Where(l => !l.Busy))
                {
                    link.Status = LinkStatus.Down;
                    link.Detail = $"host {info.Name} restarted";
                }
        }
        if (changed || back) _replica?.WriteHost(new KnownHost(info));
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
        _hosts[d.Host.Name] = new HostState(d.Host) { Ttl = d.Ttl, State = "discovered" };
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
                host.Up = true;
                host.State = "up";
                host.ReadySince = Now;
                foreach (var link in LinksOn(host.Info.Name)) link.NeedsCheck = true;
            }
            else
            {
                host.State = removed ? "down" : "unreachable";
                if (!host.Up) continue;
                host.Up = false;
                foreach (var link in LinksOn(host.Info.Name))
                {
                    link.Status = LinkStatus.Down;
                    link.Detail = $"host {host.Info.Name} {why}";
                    link.NeedsCheck = true;
                }
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

    private IEnumerable<LinkState> LinksOn(string host) => _links.Values.Where(l => l.Hosts.Contains(host));

    private bool Ready(HostState h) => h.Up && h.Actor is not null && Now - h.ReadySince >= _settings.Settle;

    private List<PlacementCandidate> Candidates(bool settled) =>
        [.. _hosts.Values.Select(h => new PlacementCandidate(h.Info, settled ? Ready(h) : h.Up && h.Actor is not null))];

    // ------------------------------------------------------------------ commands

    private void OnCreate(CreateLink create)
    {
        var problems = new List<string>();
        if (!LinkSpec.IsValidId(create.Id)) problems.Add($"link id '{create.Id}' is not valid (1-32 letters, digits, '-', '_', '.')");
        else if (_links.ContainsKey(create.Id)) problems.Add($"link {create.Id} already exists");
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
        var link = new LinkState(intent) { Spec = spec, Status = LinkStatus.Negotiating };
        _links[create.Id] = link;
        _replica?.WriteLink(intent);
        StartCreate(link, spec!, deleteFirst: false, replyTo: Sender);
    }

    /// <summary>Asks the initiating host to make the link; with <paramref name="deleteFirst"/> every endpoint host first drops what it has of it.</summary>
    private void StartCreate(LinkState link, LinkSpec spec, bool deleteFirst, IActorRef? replyTo)
    {
        link.Busy = true;
        link.Generation++;
        link.Spec = spec;
        link.Status = LinkStatus.Negotiating;
        var generation = link.Generation;
        var id = spec.Id;
        var initiatorName = spec.Endpoints[0].Host;
        var initiator = _hosts[initiatorName].Actor!;
        var deletes = deleteFirst ? spec.Endpoints.Select(e => e.Host).Distinct().Select(h => _hosts[h].Actor).OfType<IActorRef>().ToList() : [];
        var fresh = spec with { Protocol = 0, Endpoints = [.. spec.Endpoints.Select(e => e with { Port = 0 })] };
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
                return new CreateOutcome(id, generation, await initiator.Ask<object>(new LinkProtocol.Create(fresh), createTimeout), replyTo);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return new CreateOutcome(id, generation, new LinkProtocol.CreateFailed(id, $"host {initiatorName} did not answer within {createTimeout.TotalSeconds:0} s"), replyTo);
            }
        }
    }

    private void OnCreateOutcome(CreateOutcome outcome)
    {
        if (!_links.TryGetValue(outcome.LinkId, out var link) || link.Generation != outcome.Generation)
        {
            if (!_links.ContainsKey(outcome.LinkId) && outcome.Reply is LinkProtocol.Created late)
                TellHosts(late.Link, new LinkProtocol.Delete(outcome.LinkId)); // deleted while being made: nothing half-made stays
            outcome.ReplyTo?.Tell(new LinkRejected(outcome.LinkId, [$"link {outcome.LinkId} was deleted while being created"]));
            return;
        }
        link.Busy = false;
        switch (outcome.Reply)
        {
            case LinkProtocol.Created created:
                link.Spec = created.Link;
                link.Status = LinkStatus.Established;
                link.Detail = null;
                link.NeedsCheck = false;
                link.Attempts = 0;
                // The intent is replicated and kept on disk by every node: never with the link's key.
                link.Intent = link.Intent with { Placement = created.Link with { Key = ImmutableArray<byte>.Empty } };
                _replica?.WriteLink(link.Intent);
                if (outcome.ReplyTo is null) _log.Info("link {0} is back: {1}, protocol number {2}", created.Link.Id, string.Join(" <-> ", created.Link.Endpoints), created.Link.Protocol);
                outcome.ReplyTo?.Tell(new LinkCreated(StateOf(link)));
                break;
            case LinkProtocol.CreateFailed failed when outcome.ReplyTo is not null:
                // Asked by a user: nothing half-made; the desired link goes and every host drops what it has of it.
                _links.Remove(outcome.LinkId);
                _replica?.RemoveLink(outcome.LinkId);
                if (link.Spec is not null) TellHosts(link.Spec, new LinkProtocol.Delete(outcome.LinkId));
                outcome.ReplyTo.Tell(new LinkRejected(outcome.LinkId, [failed.Reason]));
                break;
            case LinkProtocol.CreateFailed failed:
                // Bringing a link back: keep the intent and try again later.
                Retry(link, failed.Reason);
                break;
            default:
                Retry(link, $"unexpected answer {outcome.Reply}");
                break;
        }
    }

    private void OnDelete(DeleteLink delete)
    {
        if (!_links.Remove(delete.Id, out var link))
        {
            Sender.Tell(NoLink(delete.Id));
            return;
        }
        _replica?.RemoveLink(delete.Id);
        // Answered once every host of the link has dropped it (or did not answer in time), so a link
        // of the same id created right after is not refused by a host still holding this one.
        var hosts = (link.Spec?.Endpoints.Select(e => e.Host).Distinct() ?? []).Select(h => _hosts.GetValueOrDefault(h)?.Actor).OfType<IActorRef>().ToList();
        var timeout = _settings.HostAskTimeout;
        var id = delete.Id;
        Task.WhenAll(hosts.Select(async h =>
        {
            try
            {
                await h.Ask<LinkProtocol.Deleted>(new LinkProtocol.Delete(id), timeout);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // The delete was sent; a host that does not answer in time (down, cut off) is not waited for.
            }
        })).ContinueWith(_ => (IDeleteLinkReply)new LinkDeleted(id)).PipeTo(Sender);
    }

    /// <summary>
    /// Applies the changes of <paramref name="set"/> to the link's current options (the previous change
    /// of the same link has finished: <see cref="OnSetOptionsRequest"/> keeps them in order).
    /// </summary>
    private void OnSetOptions(SetLinkOptions set, IActorRef replyTo)
    {
        if (!_links.TryGetValue(set.Id, out var link))
        {
            replyTo.Tell(NoLink(set.Id));
            NextOptionChange(set.Id);
            return;
        }
        var options = set.Changes.ApplyTo(link.Intent.Options);
        var problems = options.Problems().ToList();
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
        if (o.Error is null && _links.TryGetValue(o.LinkId, out var link))
        {
            // The intent keeps the new options, so links brought back later have them too.
            if (link.Spec is not null) link.Spec = link.Spec with { Options = o.Options };
            link.Intent = link.Intent with { Options = o.Options, Placement = link.Spec };
            _replica?.WriteLink(link.Intent);
        }
        o.ReplyTo.Tell(o.Error is not null ? new LinkRejected(o.LinkId, [o.Error])
            : _links.ContainsKey(o.LinkId) ? new LinkOptionsSet(StateOf(_links[o.LinkId])) : NoLink(o.LinkId));
        NextOptionChange(o.LinkId);
    }

    private void OnReport(LinkReport report)
    {
        if (!_links.TryGetValue(report.LinkId, out var link) || link.Busy) return; // while a link is being made, the initiator's reply decides
        switch (report.Status)
        {
            case LinkStatus.Established when !link.NeedsCheck:
                link.Status = LinkStatus.Established;
                link.Detail = null;
                break;
            case LinkStatus.Restarting:
                link.Status = LinkStatus.Restarting;
                link.Detail = $"{report.Host}: {report.Detail}";
                break;
            case LinkStatus.Waiting:
                link.Status = LinkStatus.Waiting;
                link.Detail = report.Detail; // names the interface and the host
                break;
            case LinkStatus.Failed:
                Retry(link, $"{report.Host}: {report.Detail}");
                break;
        }
    }

    private void TellHosts(LinkSpec spec, object message)
    {
        foreach (var host in spec.Endpoints.Select(e => e.Host).Distinct())
            if (_hosts.TryGetValue(host, out var h)) h.Actor?.Tell(message);
    }
}
