using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using VNet.Actors.Links;
using VNet.Actors.Negotiation;
using VNet.Actors.Observability;
using VNet.Capture.Forwarding;
using VNet.Capture.Inventory;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;
using VNet.Messages.Commands;
using Msg = VNet.Messages.NegotiationProtocol;

namespace VNet.Actors.Hosts;

/// <summary>
/// /user/host: this host's protocol-number table (and its table of VXLAN network identifiers, the
/// number space of the kernel kinds), its links, and the negotiations that make them. Answers proposals published on the negotiation topic for links with an
/// endpoint here, and announces the host to the TopologyManager. Every end it holds is reported to
/// the manager whenever it changes (status, protocol number, port, VM MTU, transport), initiator's
/// and responder's alike.
/// </summary>
public sealed class HostActor : ReceiveActor, IWithTimers
{
    /// <summary>Ask for this host's <see cref="HostInfo"/>.</summary>
    public sealed record GetInfo
    {
        /// <summary>The single instance.</summary>
        public static GetInfo Instance { get; } = new();
    }

    private sealed record AnnounceTick
    {
        public static AnnounceTick Instance { get; } = new();
    }

    private sealed class LinkEntry(LinkSpec link, LinkEndpoint local, IActorRef actor, LinkCounters counters)
    {
        public LinkSpec Link { get; set; } = link;
        public LinkEndpoint Local { get; } = local;
        public IActorRef Actor { get; } = actor;
        public LinkCounters Counters { get; } = counters;
        public LinkStatus Status { get; set; } = LinkStatus.Negotiating;
        public string? Detail { get; set; }
        public int VmMtu { get; set; }
        public string? Transport { get; set; }
        public IActorRef? Requester { get; set; }
    }

    /// <summary>A negotiation in progress; <paramref name="Port"/> is the UDP port it holds for this host's end (0: none).</summary>
    private sealed record Pending(IActorRef Child, string LinkId, IActorRef? Requester, bool Initiator, int Port)
    {
        public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HostSettings _settings;
    private readonly ProtocolNumberTable _table;
    private readonly ProtocolNumberTable _vnis;
    private readonly IVmProvider _vms;
    private readonly Func<HostInfo> _describe;
    private readonly IDataPlaneFactory _dataPlanes;
    private readonly IActorRef _mediator;
    private readonly IActorRef _topology;
    private readonly Random _random;
    private readonly INegotiationObserver? _observer;
    private readonly Dictionary<string, LinkEntry> _links = new();
    private readonly Dictionary<Guid, Pending> _negotiations = new();

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props. <paramref name="describe"/> reads the host's inventory (interfaces, VMs, load) when the
    /// host announces itself; <paramref name="mediator"/> is the DistributedPubSub mediator and
    /// <paramref name="topology"/> the TopologyManager proxy; <paramref name="observer"/>, when given,
    /// is told how each negotiation ended (the node's metrics).
    /// </summary>
    public static Props Props(HostSettings settings, ProtocolNumberTable table, IVmProvider vms, Func<HostInfo> describe,
        IDataPlaneFactory dataPlanes, IActorRef mediator, IActorRef topology, Random? random = null, INegotiationObserver? observer = null, ProtocolNumberTable? vnis = null) =>
        Akka.Actor.Props.Create(() => new HostActor(settings, table, vms, describe, dataPlanes, mediator, topology, random ?? Random.Shared, observer, vnis));

    public HostActor(HostSettings settings, ProtocolNumberTable table, IVmProvider vms, Func<HostInfo> describe,
        IDataPlaneFactory dataPlanes, IActorRef mediator, IActorRef topology, Random random, INegotiationObserver? observer = null, ProtocolNumberTable? vnis = null)
    {
        _observer = observer;
        _settings = settings;
        _table = table;
        _vnis = vnis ?? ProtocolNumberTable.Vnis();
        _vms = vms;
        _describe = describe;
        _dataPlanes = dataPlanes;
        _mediator = mediator;
        _topology = topology;
        _random = random;

        Receive<SubscribeAck>(_ => { });
        Receive<AnnounceTick>(_ => Announce());
        Receive<GetInfo>(_ => Sender.Tell(_describe()));
        Receive<LinkProtocol.Create>(OnCreate);
        Receive<Msg.Propose>(OnPropose);
        Receive<NegotiationActor.Succeeded>(OnAgreed);
        Receive<NegotiationActor.Failed>(OnNegotiationFailed);
        Receive<LinkActor.Started>(OnLinkStarted);
        Receive<LinkProtocol.StatusChanged>(OnStatusChanged);
        Receive<LinkProtocol.Delete>(d => Sender.Tell(new LinkProtocol.Deleted(d.LinkId, RemoveLink(d.LinkId, "deleted"))));
        Receive<LinkProtocol.SetOptions>(OnSetOptions);
        Receive<LinkProtocol.GetTable>(_ => Sender.Tell(Table()));
        Receive<LinkProtocol.StartCapture>(OnCapture);
        Receive<Terminated>(OnTerminated);
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(Msg.Topic, Self));
        Timers.StartPeriodicTimer(AnnounceTick.Instance, AnnounceTick.Instance, TimeSpan.FromMilliseconds(200), _settings.AnnounceInterval);
    }

    /// <inheritdoc/>
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A LinkActor that cannot even start (interface missing, socket refused) is stopped, not retried
        // in a loop: the host reports the link Failed and the requester gets the reason.
        new OneForOneStrategy(e => e is ActorInitializationException ? Directive.Stop : Directive.Restart);

    private void Announce()
    {
        try
        {
            _topology.Tell(new TopologyProtocol.HostAnnounce(_describe()));
        }
        catch (Exception e)
        {
            _log.Warning("cannot read this host's inventory: {0}", e.Message);
        }
    }

    // ------------------------------------------------------------------ creating links

    private void OnCreate(LinkProtocol.Create create)
    {
        var link = create.Link with { Protocol = 0, Vni = 0 };
        if (link.Kind.IsMultipoint() && string.IsNullOrEmpty(link.Group)) link = link with { Group = _settings.MulticastGroup };
        var problems = link.Problems().ToList();
        var local = link.Endpoints.IsDefaultOrEmpty ? null : link.Endpoints[0];
        if (local is not null && local.Host != _settings.Name) problems.Add($"link {link.Id}: its first endpoint is on {local.Host}, so {local.Host} must initiate it, not {_settings.Name}");
        if (_links.ContainsKey(link.Id) || _negotiations.Values.Any(n => n.LinkId == link.Id)) problems.Add($"link {link.Id} already exists on {_settings.Name}");
        if (problems.Count > 0)
        {
            Sender.Tell(new LinkProtocol.CreateFailed(link.Id, string.Join("; ", problems)));
            return;
        }
        LinkSpec prepared;
        try
        {
            prepared = PrepareLocalEnd(link);
        }
        catch (Exception e) when (e is InvalidOperationException or VmProviderException)
        {
            Sender.Tell(new LinkProtocol.CreateFailed(link.Id, e.Message));
            return;
        }
        var id = Guid.NewGuid();
        var child = Context.ActorOf(NegotiationActor.Initiator(id, prepared, _settings.Name, TableOf(link), _mediator, _settings.Negotiation, _random, Scope(prepared)), $"negotiation-{id:N}");
        Context.Watch(child);
        _negotiations[id] = new Pending(child, link.Id, Sender, true, prepared.EndpointOn(_settings.Name)?.Port ?? 0);
        _log.Info("link {0}: negotiating a {1} with {2}", link.Id, TableOf(link).What, string.Join(", ", link.Endpoints.Skip(1).Select(e => e.Host).Distinct()));
    }

    /// <summary>Fills in this host's endpoint: the VM NIC's host-side interface and, for UDP kinds, a free port.</summary>
    private LinkSpec PrepareLocalEnd(LinkSpec link)
    {
        var ends = link.Endpoints.ToBuilder();
        for (var i = 0; i < ends.Count; i++)
        {
            var end = ends[i];
            if (end.Host != _settings.Name) continue;
            var nic = Nic(end.Mac);
            if (nic.Nic is null) throw new InvalidOperationException($"link {link.Id}: no VM NIC with MAC {end.Mac} on host {_settings.Name} (VM {end.Vm})");
            var port = 0;
            if (link.Kind == LinkKind.UdpP2P)
            {
                var taken = _links.Values.Select(l => l.Local.Port).Concat(_negotiationPorts).ToHashSet();
                port = UdpTransport.FindFreePort(System.Net.IPAddress.Parse(end.SubstrateAddress), _settings.UdpPortFirst, _settings.UdpPortLast, taken);
                _negotiationPorts.Add(port);
            }
            ends[i] = end with { HostInterface = nic.Nic.HostInterface, Port = port };
        }
        return link with { Endpoints = ends.ToImmutable() };
    }

    /// <summary>
    /// The VM NIC with <paramref name="mac"/>, from a VM listing at most <see cref="VmListingAge"/> old
    /// (listed again when the NIC is not in it). Listing VMs runs external tools; a burst of link
    /// requests (a net load) would otherwise list them once per link, one after the other.
    /// </summary>
    private (VmInfo Vm, VmNic Nic) Nic(MacAddress mac)
    {
        (VmInfo Vm, VmNic Nic) Find() => _vmListing.SelectMany(v => v.Nics.Select(n => (Vm: v, Nic: n))).FirstOrDefault(x => x.Nic.Mac == mac);
        var fresh = System.Diagnostics.Stopwatch.GetElapsedTime(_vmListedAt) < VmListingAge;
        if (fresh && Find() is { Nic: not null } cached) return cached;
        _vmListing = _vms.ListVms();
        _vmListedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return Find();
    }

    private static readonly TimeSpan VmListingAge = TimeSpan.FromSeconds(1);
    private ImmutableArray<VmInfo> _vmListing = [];
    private long _vmListedAt;

    private string Scope(LinkSpec link) => ProtocolScopes.For(link, _settings.Name, _settings.ProtocolNumbers);

    private readonly HashSet<int> _negotiationPorts = new();
    private int _linkGeneration;

    private void OnPropose(Msg.Propose p)
    {
        var link = p.Link;
        var mine = link.EndpointOn(_settings.Name);
        if (mine is null || link.Endpoints[0].Host == _settings.Name) return; // not ours to answer
        if (_negotiations.TryGetValue(p.NegotiationId, out var pending))
        {
            pending.Child.Forward(p);
            return;
        }
        string? refusal = null;
        if (_links.ContainsKey(link.Id)) refusal = $"link {link.Id} already exists on {_settings.Name}";
        var problems = link.Problems().ToList();
        if (!link.HasKey) problems.Add($"link {link.Id}: the proposal carries no link key");
        if (problems.Count > 0) refusal = string.Join("; ", problems);
        LinkSpec prepared = link;
        if (refusal is null)
        {
            try
            {
                prepared = PrepareLocalEnd(link);
            }
            catch (Exception e) when (e is InvalidOperationException or VmProviderException)
            {
                refusal = e.Message;
            }
        }
        if (refusal is not null)
        {
            Sender.Tell(new Msg.Refuse(p.NegotiationId, _settings.Name, refusal));
            return;
        }
        var child = Context.ActorOf(NegotiationActor.Responder(p.NegotiationId, prepared, _settings.Name, TableOf(link), _settings.Negotiation, _random, Scope(prepared)), $"negotiation-{p.NegotiationId:N}");
        Context.Watch(child);
        _negotiations[p.NegotiationId] = new Pending(child, link.Id, null, false, prepared.EndpointOn(_settings.Name)?.Port ?? 0);
        child.Forward(p);
    }

    private void OnAgreed(NegotiationActor.Succeeded s)
    {
        var requester = _negotiations.Remove(s.NegotiationId, out var pending) ? pending.Requester : null;
        if (pending is not null) Observe(pending, NegotiationOutcome.Agreed, s.Rounds);
        var local = s.Link.EndpointOn(_settings.Name)!;
        _negotiationPorts.Remove(local.Port);
        _log.Info("link {0}: agreed on {1} {2}", s.Link.Id, TableOf(s.Link).What, s.Link.Negotiated);
        var counters = new LinkCounters();
        // A link of the same id deleted a moment ago may still be stopping (its workers join their
        // threads) and hold the name; '~' cannot appear in a link id, so the fallback cannot clash.
        var name = $"link-{s.Link.Id}";
        if (!Context.Child(name).IsNobody()) name = $"{name}~{++_linkGeneration}";
        // A kernel link has no workers (the kernel forwards its frames); every other kind forwards in userspace.
        var props = s.Link.Kind.IsKernel()
            ? KernelLinkActor.Props(s.Link, local, _dataPlanes, counters, _settings.LinkRecovery)
            : LinkActor.Props(s.Link, local, _dataPlanes, counters, _settings.LinkRecovery);
        var actor = Context.ActorOf(props, name);
        Context.Watch(actor);
        _links[s.Link.Id] = new LinkEntry(s.Link, local, actor, counters) { Requester = requester };
    }

    private void OnNegotiationFailed(NegotiationActor.Failed f)
    {
        if (_negotiations.Remove(f.NegotiationId, out var pending))
        {
            Observe(pending, NegotiationOutcome.Failed, f.Rounds);
            _negotiationPorts.Remove(pending.Port);
            pending.Requester?.Tell(new LinkProtocol.CreateFailed(f.LinkId, f.Reason));
        }
        _log.Warning("link {0}: negotiation failed: {1}", f.LinkId, f.Reason);
    }

    private void OnLinkStarted(LinkActor.Started started)
    {
        if (!_links.TryGetValue(started.LinkId, out var entry)) return;
        entry.Status = LinkStatus.Established;
        entry.VmMtu = started.VmMtu;
        entry.Transport = started.Transport;
        entry.Detail = started.Warnings.Count > 0 ? string.Join("; ", started.Warnings) : started.Transport;
        entry.Requester?.Tell(new LinkProtocol.Created(entry.Link, _settings.Name));
        entry.Requester = null;
        Report(entry, entry.Status, entry.Detail);
    }

    /// <summary>Tells the manager how this host's end of the link is now.</summary>
    private void Report(LinkEntry entry, LinkStatus status, string? detail) =>
        _topology.Tell(new TopologyProtocol.LinkReport(entry.Link.Id, entry.Link.Attempt,
            new LinkEndState(_settings.Name, entry.Local.Vm, status, entry.Link.Protocol, entry.Local.Port, entry.VmMtu, entry.Transport,
                detail == entry.Transport ? null : detail)));

    private void OnStatusChanged(LinkProtocol.StatusChanged changed)
    {
        if (!_links.TryGetValue(changed.LinkId, out var entry)) return;
        entry.Status = changed.Status;
        entry.Detail = changed.Detail;
        Report(entry, changed.Status, changed.Detail);
    }

    private void OnSetOptions(LinkProtocol.SetOptions set)
    {
        if (!_links.TryGetValue(set.LinkId, out var entry))
        {
            Sender.Tell(new LinkProtocol.CreateFailed(set.LinkId, $"no link {set.LinkId} on {_settings.Name}"));
            return;
        }
        var problems = set.Options.Problems().Concat(entry.Link.Kind.OptionProblems(set.Options)).ToList();
        if (problems.Count > 0)
        {
            Sender.Tell(new LinkProtocol.CreateFailed(set.LinkId, string.Join("; ", problems)));
            return;
        }
        entry.Link = entry.Link with { Options = set.Options };
        entry.Actor.Forward(new LinkActor.SetOptions(set.Options));
    }

    private void OnTerminated(Terminated t)
    {
        foreach (var (id, pending) in _negotiations.Where(kv => kv.Value.Child.Equals(t.ActorRef)).ToList())
        {
            _negotiations.Remove(id);
            Observe(pending, NegotiationOutcome.Stopped, 0);
            _negotiationPorts.Remove(pending.Port);
            pending.Requester?.Tell(new LinkProtocol.CreateFailed(pending.LinkId, "negotiation stopped unexpectedly"));
        }
        foreach (var entry in _links.Values.Where(l => l.Actor.Equals(t.ActorRef)).ToList())
        {
            // The LinkActor died (could not start, or its workers failed too often): free its number.
            _links.Remove(entry.Link.Id);
            TableOf(entry.Link).Release(entry.Link.Id);
            var reason = entry.Status == LinkStatus.Failed ? entry.Detail : "its data plane could not start (see the vnetd log)";
            entry.Requester?.Tell(new LinkProtocol.CreateFailed(entry.Link.Id, $"link {entry.Link.Id} failed on {_settings.Name}: {reason}"));
            Report(entry, LinkStatus.Failed, reason);
        }
    }

    private void OnCapture(LinkProtocol.StartCapture capture)
    {
        var to = Sender;
        if (!_links.TryGetValue(capture.LinkId, out var entry) || entry.Local.HostInterface is not { } iface)
        {
            to.Tell(new LinkProtocol.CaptureEnded(0, 0, false, $"no link {capture.LinkId} on {_settings.Name}"));
            return;
        }
        Context.ActorOf(LinkCaptureActor.Props(capture, iface, _settings.Name, to));
    }

    private bool RemoveLink(string linkId, string why)
    {
        var existed = false;
        foreach (var (id, pending) in _negotiations.Where(kv => kv.Value.LinkId == linkId).ToList())
        {
            Context.Unwatch(pending.Child);
            Context.Stop(pending.Child);
            _negotiations.Remove(id);
            Observe(pending, NegotiationOutcome.Stopped, 0);
            _negotiationPorts.Remove(pending.Port);
            pending.Requester?.Tell(new LinkProtocol.CreateFailed(linkId, $"link {linkId} was {why} while negotiating"));
            existed = true;
        }
        if (_links.Remove(linkId, out var entry))
        {
            Context.Unwatch(entry.Actor);
            Context.Stop(entry.Actor);
            entry.Requester?.Tell(new LinkProtocol.CreateFailed(linkId, $"link {linkId} was {why} while starting"));
            existed = true;
        }
        _table.Release(linkId);
        _vnis.Release(linkId);
        if (existed) _log.Info("link {0}: {1}", linkId, why);
        return existed;
    }

    private void Observe(Pending pending, NegotiationOutcome outcome, int rounds) =>
        _observer?.Ended(pending.Initiator, outcome, rounds, System.Diagnostics.Stopwatch.GetElapsedTime(pending.StartedAt));

    /// <summary>The number space a link is negotiated in: VXLAN network identifiers for kernel kinds, else IP protocol numbers.</summary>
    private ProtocolNumberTable TableOf(LinkSpec link) => link.Kind.IsKernel() ? _vnis : _table;

    private LinkProtocol.Table Table()
    {
        foreach (var l in _links.Values) l.Counters.Refresh?.Invoke();
        return new(_settings.Name, _links.Values.OrderBy(l => l.Link.Id, StringComparer.Ordinal).Select(l =>
            new LinkProtocol.Row(l.Link, l.Status, l.Detail, l.Counters.ToSubstrate.Snapshot(), l.Counters.ToVm.Snapshot(), l.VmMtu) { Transport = l.Transport }).ToImmutableArray());
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        foreach (var id in _links.Keys.ToList())
        {
            _table.Release(id);
            _vnis.Release(id);
        }
    }
}
