using Akka.Actor;
using Akka.Event;
using VNet.Capture.Forwarding;
using VNet.Capture.Interfaces;
using VNet.Messages;

namespace VNet.Actors.Links;

/// <summary>
/// One virtual link on one host: owns the link's data plane and supervises its two workers.
/// Control only — frames never reach this actor.
/// <para>
/// A worker that fails (socket error, exception in its forwarder) is restarted alone, with
/// back-off, while the other keeps running; past <see cref="LinkRecovery.MaxRestarts"/> the link
/// reports Failed. The VM interface is watched (<see cref="IInterfaceMonitor"/>): when it
/// vanishes both workers stop and the link reports <see cref="LinkStatus.Waiting"/> instead of
/// restarting in a loop; when an interface of that name is back and up, the workers open their
/// taps on it again (a new capture and a new injector: the old sockets were bound to the old
/// interface index), the port is isolated again and gets the MTU it had, and the link reports
/// Established. An interface absent longer than <see cref="LinkRecovery.InterfaceWait"/> fails the link.
/// </para>
/// </summary>
public sealed class LinkActor : ReceiveActor, IWithTimers
{
    /// <summary>The data plane is up; sent to the parent with what the user should know.</summary>
    public sealed record Started(string LinkId, int VmMtu, string Transport, IReadOnlyList<string> Warnings);

    /// <summary>The capture worker could not isolate the VM port: the link runs, and `link show` says so.</summary>
    public sealed record PortWarnings(IReadOnlyList<string> Warnings);

    /// <summary>Change the link's options while it runs.</summary>
    public sealed record SetOptions(LinkOptions Options);

    /// <summary>A worker's loop runs (at start, and again after a restart); <paramref name="Failures"/> = the link's failures when it started.</summary>
    public sealed record WorkerRunning(string Worker, int Failures);

    private sealed record InterfaceChanged(InterfaceState? State);

    private sealed record WatchFailed(Exception Error);

    private sealed record WaitExpired(int Episode);

    private const string WaitTimer = "interface-wait";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkSpec _link;
    private readonly LinkEndpoint _local;
    private readonly IDataPlaneFactory _factory;
    private readonly LinkCounters _counters;
    private readonly LinkRecovery _recovery;
    private readonly RestartBackoff _backoff = new();
    private volatile LinkOptions _options;
    private ILinkDataPlane? _plane;
    private readonly List<string> _portWarnings = new();
    private IActorRef? _vmWorker;
    private IActorRef? _netWorker;
    private int _generation;
    private readonly Dictionary<IActorRef, int> _restarting = new(); // worker → the failure count of its latest failure
    private IDisposable? _watch;
    private InterfaceState? _attached;   // the interface the workers use, as last seen
    private bool _waiting;
    private int _episode;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of the link <paramref name="link"/> at its endpoint <paramref name="local"/>.</summary>
    public static Props Props(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, LinkRecovery? recovery = null) =>
        Akka.Actor.Props.Create(() => new LinkActor(link, local, factory, counters, recovery ?? LinkRecovery.Default));

    public LinkActor(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, LinkRecovery recovery)
    {
        _link = link;
        _local = local;
        _factory = factory;
        _counters = counters;
        _recovery = recovery;
        _options = link.Options;

        Receive<SetOptions>(s =>
        {
            _options = s.Options;
            _plane?.Transport.SetTos(s.Options.Dscp << 2);
            Sender.Tell(_waiting
                ? new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Waiting, WaitingDetail)
                : new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, "options changed"));
        });
        Receive<PortWarnings>(w =>
        {
            // After Started (this actor sent that first), so the host's detail is not overwritten by it.
            var fresh = w.Warnings.Where(x => !_portWarnings.Contains(x)).ToList();
            if (fresh.Count == 0) return;
            _portWarnings.AddRange(fresh);
            foreach (var x in fresh) _log.Warning("link {0}: {1}", _link.Id, x);
            if (!_waiting) ReportEstablished([]);
        });
        Receive<WorkerRunning>(w =>
        {
            // A restarted worker runs again: once none is left restarting, the link is back. A report
            // sent before the worker's latest failure (the failure, a system message, can overtake
            // it) carries an older failure count and does not count.
            if (!_restarting.TryGetValue(Sender, out var failedAt) || w.Failures < failedAt) return;
            _restarting.Remove(Sender);
            _log.Info("link {0}: {1} runs again", _link.Id, w.Worker);
            if (_restarting.Count == 0 && !_waiting) ReportEstablished([]);
        });
        Receive<InterfaceChanged>(c => OnInterface(c.State));
        Receive<WatchFailed>(f =>
        {
            _log.Warning("link {0}: the watch of interface {1} failed ({2}); a vanished interface now fails the link", _link.Id, Interface, f.Error.Message);
            _watch?.Dispose();
            _watch = null;
            if (_waiting) Fail($"interface {Interface} on {_local.Host} is gone and can no longer be watched ({f.Error.Message}); link stopped");
        });
        Receive<WaitExpired>(e =>
        {
            if (_waiting && e.Episode == _episode)
                Fail($"interface {Interface} on {_local.Host} was absent for {_recovery.InterfaceWait.TotalSeconds:0} s; link stopped");
        });
        Receive<Terminated>(t =>
        {
            // A current worker stopped for good: the supervisor gave up after too many failures.
            // Workers stopped on purpose (the interface vanished) are no longer current.
            if (!t.ActorRef.Equals(_vmWorker) && !t.ActorRef.Equals(_netWorker)) return;
            Fail($"{t.ActorRef.Path.Name} failed {_backoff.Failures} times; link stopped");
        });
    }

    private string Interface => _local.HostInterface ?? "";

    private string WaitingDetail => $"waiting for interface {Interface} on {_local.Host}";

    /// <inheritdoc/>
    protected override void PreStart()
    {
        _plane = _factory.Create(_link, _local);
        StartWatch();
        StartWorkers();
        foreach (var w in _plane.Warnings) _log.Warning("link {0}: {1}", _link.Id, w);
        Context.Parent.Tell(new Started(_link.Id, _plane.VmMtu, _plane.Transport.Description, _plane.Warnings));
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _watch?.Dispose();
        _plane?.Dispose(); // children (and their threads) have stopped by now
    }

    private void StartWatch()
    {
        if (_factory.Interfaces is not { } monitor || Interface.Length == 0) return;
        var self = Self;
        try
        {
            _watch = monitor.Watch(Interface, s => self.Tell(new InterfaceChanged(s)), e => self.Tell(new WatchFailed(e)));
        }
        catch (InvalidOperationException e)
        {
            _log.Warning("link {0}: interface {1} is not watched ({2}); if it vanishes the link fails after its restarts", _link.Id, Interface, e.Message);
        }
    }

    private void StartWorkers()
    {
        // Workers stopped a moment ago may still hold their names while their threads end.
        var suffix = _generation == 0 ? "" : $"-{_generation}";
        _generation++;
        _vmWorker = Context.Watch(Context.ActorOf(VmCaptureWorker.Props(_plane!, () => _options, _counters.ToSubstrate, _backoff), "vm-capture" + suffix));
        _netWorker = Context.Watch(Context.ActorOf(NetCaptureWorker.Props(_plane!, _counters.ToVm, _backoff), "net-capture" + suffix));
    }

    private void StopWorkers()
    {
        foreach (var w in new[] { _vmWorker, _netWorker })
            if (w is not null) Context.Stop(w);
        _vmWorker = _netWorker = null;
        _restarting.Clear();
    }

    private void OnInterface(InterfaceState? state)
    {
        if (_waiting)
        {
            if (state is { Up: true }) Resume(state);
            return;
        }
        if (state is null)
        {
            EnterWaiting("is gone");
            return;
        }
        if (_attached is { } attached && state.Index != attached.Index)
        {
            // Deleted and created again faster than the events were read: the sockets are on the old one.
            EnterWaiting("was replaced");
            if (state.Up) Resume(state);
            return;
        }
        _attached = state; // the first state, or its MTU or flags changed while the link runs
    }

    private void EnterWaiting(string what)
    {
        _waiting = true;
        _episode++;
        StopWorkers();
        _log.Warning("link {0}: interface {1} {2}; the link waits for it (at most {3:0} s)", _link.Id, Interface, what, _recovery.InterfaceWait.TotalSeconds);
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Waiting, WaitingDetail));
        Timers.StartSingleTimer(WaitTimer, new WaitExpired(_episode), _recovery.InterfaceWait);
    }

    private void Resume(InterfaceState state)
    {
        _waiting = false;
        Timers.Cancel(WaitTimer);
        _backoff.Failures = 0;
        int? mtu = _attached is { Mtu: > 0 } before && before.Mtu != state.Mtu ? before.Mtu : null;
        var warnings = _plane!.Reattach(mtu);
        foreach (var w in warnings) _log.Warning("link {0}: {1}", _link.Id, w);
        _attached = mtu is { } m ? state with { Mtu = m } : state;
        _log.Info("link {0}: interface {1} is back (index {2}{3}); the link resumes", _link.Id, Interface, state.Index, mtu is null ? "" : $", MTU set to {mtu}");
        StartWorkers();
        ReportEstablished(warnings);
    }

    private void ReportEstablished(IReadOnlyList<string> extra)
    {
        // The detail the host shows for a running link: its warnings, or else the transport.
        var notes = _plane!.Warnings.Concat(_portWarnings).Concat(extra).ToList();
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, notes.Count > 0 ? string.Join("; ", notes) : _plane.Transport.Description));
    }

    private void Fail(string detail)
    {
        _log.Error("link {0}: {1}", _link.Id, detail);
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed, detail));
        Context.Stop(Self);
    }

    /// <inheritdoc/>
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A worker whose loop failed (socket error, interface gone) is restarted alone, with
        // back-off; past the limit it is stopped and the link reports Failed. A failure because the
        // VM interface vanished stops both workers instead: the link waits for the interface.
        new OneForOneStrategy(_recovery.MaxRestarts, _recovery.RestartWindow, e =>
        {
            if (_waiting) return Directive.Stop;
            if (_watch is not null && _factory.Interfaces is { } monitor && !monitor.Exists(Interface))
            {
                EnterWaiting("is gone");
                return Directive.Stop;
            }
            var worker = WorkerOf(e);
            if (worker is null && e is ActorInitializationException or WorkerFailedException) return Directive.Stop; // a worker stopped on purpose
            _backoff.Failures++;
            if (worker is not null) _restarting[worker] = _backoff.Failures;
            _log.Warning("link {0}: {1} (restart {2} in {3})", _link.Id, e.Message, _backoff.Failures, _backoff.NextDelay);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Restarting, e.Message));
            return Directive.Restart;
        });

    private IActorRef? WorkerOf(Exception e) => e switch
    {
        ActorInitializationException init => new[] { _vmWorker, _netWorker }.FirstOrDefault(w => w is not null && w.Equals(init.Actor)),
        WorkerFailedException failed => new[] { _vmWorker, _netWorker }.FirstOrDefault(w => w?.Path.Name == failed.Worker),
        _ => null,
    };
}
