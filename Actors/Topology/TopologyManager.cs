using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using VNet.Messages;
using static VNet.Messages.TopologyProtocol;

namespace VNet.Actors.Topology;

/// <summary>
/// The cluster singleton (DESIGN.md §2): the registry of hosts and their VMs, the desired virtual
/// network (links named by VM), and the state of each link. It resolves VMs to hosts and asks the
/// initiating host to create a link; hosts report link state back.
/// </summary>
public sealed class TopologyManager : ReceiveActor
{
    private sealed record CreateOutcome(string LinkId, object Reply, IActorRef ReplyTo);

    private sealed record OptionsOutcome(string LinkId, LinkOptions Options, string? Error, IActorRef ReplyTo);

    private sealed class HostState(HostInfo info, IActorRef actor)
    {
        public HostInfo Info { get; set; } = info;
        public IActorRef Actor { get; set; } = actor;
        public bool Up { get; set; } = true;
    }

    private sealed class DesiredLink(LinkSpec spec)
    {
        public LinkSpec Spec { get; set; } = spec;
        public LinkStatus Status { get; set; } = LinkStatus.Negotiating;
        public string? Detail { get; set; }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, HostState> _hosts = new();
    private readonly Dictionary<string, DesiredLink> _links = new();
    private readonly TimeSpan _createTimeout;

    /// <summary>Props; <paramref name="createTimeout"/> bounds one link creation (negotiation + start).</summary>
    public static Props Props(TimeSpan? createTimeout = null) => Akka.Actor.Props.Create(() => new TopologyManager(createTimeout ?? TimeSpan.FromSeconds(20)));

    public TopologyManager(TimeSpan createTimeout)
    {
        _createTimeout = createTimeout;
        Receive<HostAnnounce>(OnAnnounce);
        Receive<ClusterEvent.MemberRemoved>(m => MarkNode(m.Member.Address, false, "left the cluster"));
        Receive<ClusterEvent.UnreachableMember>(m => MarkNode(m.Member.Address, false, "unreachable"));
        Receive<ClusterEvent.ReachableMember>(m => MarkNode(m.Member.Address, true, "reachable again"));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<CreateLink>(OnCreate);
        Receive<CreateOutcome>(OnCreateOutcome);
        Receive<DeleteLink>(OnDelete);
        Receive<SetLinkOptions>(OnSetOptions);
        Receive<OptionsOutcome>(o =>
        {
            if (o.Error is null && _links.TryGetValue(o.LinkId, out var link)) link.Spec = link.Spec with { Options = o.Options };
            o.ReplyTo.Tell(o.Error is null ? new Done($"link {o.LinkId} options changed") : new Failed(o.Error));
        });
        Receive<LinkReport>(OnReport);
        Receive<GetHosts>(_ => Sender.Tell(new HostList(_hosts.Values.OrderBy(h => h.Info.Name, StringComparer.Ordinal).Select(h => new HostEntry(h.Info, h.Up)).ToImmutableArray())));
        Receive<GetLinks>(_ => Sender.Tell(new LinkList(_links.Values.OrderBy(l => l.Spec.Id, StringComparer.Ordinal).Select(l => new LinkEntry(l.Spec, l.Status, l.Detail)).ToImmutableArray())));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        if (Context.System.HasExtension<Cluster>() || Context.System.Settings.ProviderClass.Contains("Cluster"))
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        _log.Info("topology manager started on {0}", Self.Path.Address);
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        if (Context.System.HasExtension<Cluster>()) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void OnAnnounce(HostAnnounce a)
    {
        if (_hosts.TryGetValue(a.Host.Name, out var known))
        {
            known.Info = a.Host;
            known.Actor = Sender;
            if (!known.Up) _log.Info("host {0} is back", a.Host.Name);
            known.Up = true;
        }
        else
        {
            _hosts[a.Host.Name] = new HostState(a.Host, Sender);
            _log.Info("host {0} ({1}) registered with {2} VM(s)", a.Host.Name, a.Host.SubstrateAddress, a.Host.Vms.Length);
        }
    }

    private void MarkNode(Address address, bool up, string why)
    {
        foreach (var host in _hosts.Values.Where(h => h.Info.NodeAddress == address.ToString()))
        {
            if (host.Up == up) continue;
            host.Up = up;
            _log.Info("host {0} {1}", host.Info.Name, why);
            foreach (var link in _links.Values.Where(l => l.Spec.Endpoints.Any(e => e.Host == host.Info.Name)))
            {
                if (!up)
                {
                    link.Status = LinkStatus.Down;
                    link.Detail = $"host {host.Info.Name} {why}";
                }
            }
        }
    }

    private void OnCreate(CreateLink create)
    {
        var problems = new List<string>();
        if (!LinkSpec.IsValidId(create.Id)) problems.Add($"link id '{create.Id}' is not valid (1-32 letters, digits, '-', '_', '.')");
        else if (_links.ContainsKey(create.Id)) problems.Add($"link {create.Id} already exists");
        var ends = new List<LinkEndpoint>();
        foreach (var vm in create.Vms)
        {
            var offering = _hosts.Values.Where(h => h.Info.Vm(vm) is not null).ToList();
            if (offering.Count == 0) { problems.Add($"unknown VM '{vm}': no host in the cluster offers it"); continue; }
            // The least-loaded host that is up (paper §III.A: C_n, lower is better).
            var host = offering.Where(h => h.Up).OrderBy(h => h.Info.Load).FirstOrDefault();
            if (host is null) { problems.Add($"VM '{vm}' is only offered by host(s) that are down: {string.Join(", ", offering.Select(h => h.Info.Name))}"); continue; }
            var nic = host.Info.Vm(vm)!.Nics.FirstOrDefault();
            if (nic is null) { problems.Add($"VM '{vm}' on {host.Info.Name} has no NIC"); continue; }
            ends.Add(new LinkEndpoint(host.Info.Name, vm, nic.Mac, host.Info.SubstrateAddress) { HostInterface = nic.HostInterface });
        }
        foreach (var dup in create.Vms.GroupBy(v => v).Where(g => g.Count() > 1)) problems.Add($"VM '{dup.Key}' is named twice");
        foreach (var end in ends)
            foreach (var other in _links.Values.Where(l => l.Spec.Endpoints.Any(e => e.Mac == end.Mac)))
                problems.Add($"VM {end.Vm}'s NIC {end.Mac} is already on link {other.Spec.Id} (a NIC is one cable: one link or segment)");
        if (problems.Count == 0)
        {
            var sameHost = ends.GroupBy(e => e.Host).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (sameHost.Count > 0) problems.Add($"VMs {string.Join(", ", create.Vms)} are on the same host {sameHost[0]}: a link joins VMs on different hosts");
        }
        LinkSpec? spec = null;
        if (ends.Count == create.Vms.Length)
        {
            // Every VM resolved: the link's own rules (endpoint count, options, ids) are reported too.
            spec = new LinkSpec(create.Id, create.Kind, ends.ToImmutableArray(), create.Options) { PreferredProtocol = create.PreferredProtocol };
            problems.AddRange(spec.Problems().Where(p => !problems.Contains(p)));
        }
        if (problems.Count > 0)
        {
            Sender.Tell(new Failed(string.Join("; ", problems)));
            return;
        }
        _links[create.Id] = new DesiredLink(spec!);
        var initiator = _hosts[spec!.Endpoints[0].Host].Actor;
        var replyTo = Sender;
        initiator.Ask<object>(new LinkProtocol.Create(spec), _createTimeout)
            .ContinueWith(t => new CreateOutcome(create.Id, t.IsCompletedSuccessfully ? t.Result : new LinkProtocol.CreateFailed(create.Id, $"host {spec.Endpoints[0].Host} did not answer within {_createTimeout.TotalSeconds:0} s"), replyTo))
            .PipeTo(Self);
    }

    private void OnCreateOutcome(CreateOutcome outcome)
    {
        switch (outcome.Reply)
        {
            case LinkProtocol.Created created when _links.TryGetValue(outcome.LinkId, out var link):
                link.Spec = created.Link;
                link.Status = LinkStatus.Established;
                outcome.ReplyTo.Tell(created);
                break;
            case LinkProtocol.CreateFailed failed:
                // Nothing half-made: the desired link goes, and every host drops whatever it has of it.
                if (_links.Remove(outcome.LinkId, out var gone)) TellHosts(gone.Spec, new LinkProtocol.Delete(outcome.LinkId));
                outcome.ReplyTo.Tell(new Failed(failed.Reason));
                break;
            default:
                outcome.ReplyTo.Tell(new Failed($"link {outcome.LinkId} was deleted while being created"));
                break;
        }
    }

    private void OnDelete(DeleteLink delete)
    {
        if (!_links.Remove(delete.Id, out var link))
        {
            Sender.Tell(new Failed($"no link '{delete.Id}' (see `vnet link show`)"));
            return;
        }
        TellHosts(link.Spec, new LinkProtocol.Delete(delete.Id));
        Sender.Tell(new Done($"link {delete.Id} deleted"));
    }

    private void OnSetOptions(SetLinkOptions set)
    {
        if (!_links.TryGetValue(set.Id, out var link))
        {
            Sender.Tell(new Failed($"no link '{set.Id}' (see `vnet link show`)"));
            return;
        }
        var problems = set.Options.Problems().ToList();
        if (problems.Count > 0)
        {
            Sender.Tell(new Failed($"link {set.Id}: {string.Join("; ", problems)}"));
            return;
        }
        var replyTo = Sender;
        var hosts = link.Spec.Endpoints.Select(e => e.Host).Distinct().ToList();
        var asks = hosts.Select(async h =>
        {
            if (!_hosts.TryGetValue(h, out var host) || !host.Up) return $"host {h} is down";
            try
            {
                var reply = await host.Actor.Ask<object>(new LinkProtocol.SetOptions(set.Id, set.Options), TimeSpan.FromSeconds(5));
                return reply is LinkProtocol.CreateFailed f ? f.Reason : null;
            }
            catch (AskTimeoutException)
            {
                return $"host {h} did not answer";
            }
        });
        Task.WhenAll(asks).ContinueWith(t =>
        {
            var errors = t.Result.Where(e => e is not null).ToList();
            return new OptionsOutcome(set.Id, set.Options, errors.Count == 0 ? null : string.Join("; ", errors), replyTo);
        }).PipeTo(Self);
    }

    private void OnReport(LinkReport report)
    {
        if (!_links.TryGetValue(report.LinkId, out var link)) return;
        if (report.Status == LinkStatus.Established && link.Status is LinkStatus.Negotiating) return; // the initiator's reply decides
        link.Status = report.Status;
        link.Detail = report.Status == LinkStatus.Established ? null : $"{report.Host}: {report.Detail}";
    }

    private void TellHosts(LinkSpec spec, object message)
    {
        foreach (var host in spec.Endpoints.Select(e => e.Host).Distinct())
            if (_hosts.TryGetValue(host, out var h)) h.Actor.Tell(message);
    }
}
