using Akka.Actor;
using Akka.Event;
using VNet.Capture.Forwarding;
using VNet.Messages;

namespace VNet.Actors.Links;

/// <summary>
/// One virtual link on one host (DESIGN.md §2): owns the link's data plane and supervises its two
/// workers. Control only — frames never reach this actor.
/// </summary>
public sealed class LinkActor : ReceiveActor
{
    /// <summary>The data plane is up; sent to the parent with what the user should know.</summary>
    public sealed record Started(string LinkId, int VmMtu, string Transport, IReadOnlyList<string> Warnings);

    /// <summary>The capture worker could not isolate the VM port: the link runs, and `link show` says so.</summary>
    public sealed record PortWarnings(IReadOnlyList<string> Warnings);

    /// <summary>Change the link's options while it runs.</summary>
    public sealed record SetOptions(LinkOptions Options);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkSpec _link;
    private readonly LinkEndpoint _local;
    private readonly IDataPlaneFactory _factory;
    private readonly LinkCounters _counters;
    private readonly RestartBackoff _backoff = new();
    private readonly int _maxRestarts;
    private volatile LinkOptions _options;
    private ILinkDataPlane? _plane;
    private readonly List<string> _portWarnings = new();

    /// <summary>Props of the link <paramref name="link"/> at its endpoint <paramref name="local"/>.</summary>
    public static Props Props(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, int maxRestarts = 10) =>
        Akka.Actor.Props.Create(() => new LinkActor(link, local, factory, counters, maxRestarts));

    public LinkActor(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, int maxRestarts)
    {
        _link = link;
        _local = local;
        _factory = factory;
        _counters = counters;
        _maxRestarts = maxRestarts;
        _options = link.Options;

        Receive<SetOptions>(s =>
        {
            _options = s.Options;
            _plane?.Transport.SetTos(s.Options.Dscp << 2);
            Sender.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, "options changed"));
        });
        Receive<PortWarnings>(w =>
        {
            // After Started (this actor sent that first), so the host's detail is not overwritten by it.
            var fresh = w.Warnings.Where(x => !_portWarnings.Contains(x)).ToList();
            if (fresh.Count == 0) return;
            _portWarnings.AddRange(fresh);
            foreach (var x in fresh) _log.Warning("link {0}: {1}", _link.Id, x);
            var detail = string.Join("; ", _plane?.Warnings.Concat(_portWarnings) ?? _portWarnings);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, detail));
        });
        Receive<Terminated>(t =>
        {
            // A worker stopped for good: the supervisor gave up after too many failures.
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed, $"{t.ActorRef.Path.Name} failed {_backoff.Failures} times; link stopped"));
            Context.Stop(Self);
        });
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        _plane = _factory.Create(_link, _local);
        Context.Watch(Context.ActorOf(VmCaptureWorker.Props(_plane, () => _options, _counters.ToSubstrate, _backoff), "vm-capture"));
        Context.Watch(Context.ActorOf(NetCaptureWorker.Props(_plane, _counters.ToVm, _backoff), "net-capture"));
        foreach (var w in _plane.Warnings) _log.Warning("link {0}: {1}", _link.Id, w);
        Context.Parent.Tell(new Started(_link.Id, _plane.VmMtu, _plane.Transport.Description, _plane.Warnings));
    }

    /// <inheritdoc/>
    protected override void PostStop() => _plane?.Dispose(); // children (and their threads) have stopped by now

    /// <inheritdoc/>
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A worker whose loop failed (interface gone, socket error) is restarted alone, with back-off;
        // past the limit it is stopped and the link reports Failed.
        new OneForOneStrategy(_maxRestarts, TimeSpan.FromMinutes(1), e =>
        {
            _backoff.Failures++;
            _log.Warning("link {0}: {1} (restart {2} in {3})", _link.Id, e.Message, _backoff.Failures, _backoff.NextDelay);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Restarting, e.Message));
            return Directive.Restart;
        });
}
