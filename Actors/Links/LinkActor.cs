using Akka.Actor;
using Akka.Event;
using VNet.Capture.Forwarding;
using VNet.Capture.Interfaces;
using VNet.Messages;

namespace VNet.Actors.Links;

/// <summary>
/// One virtual link on one host: owns the link's data plane and supervises its two workers.
/// Control only — frames never reach this actor. A worker that fails is restarted alone with
/// back-off. When the VM's interface has gone (deleted with its VM, or by hand), the link does not
/// restart in a loop: it stops both workers, releases the data plane, says "waiting for interface
/// vm2 on h2", and waits for the kernel to announce the interface again (netlink); then it opens
/// capture and injection anew and is established again. Past <see cref="InterfaceWaitLimit"/> it
/// reports Failed, and the topology manager retries it with back-off.
/// </summary>
public sealed class LinkActor : ReceiveActor, IWithTimers
{
    /// <summary>How long a link waits for its VM interface to come back before it reports Failed.</summary>
    public static readonly TimeSpan InterfaceWaitLimit = TimeSpan.FromMinutes(5);

    private sealed record InterfaceBack
    {
        public static InterfaceBack Instance { get; } = new();
    }

    private sealed record WaitLimit
    {
        public static WaitLimit Instance { get; } = new();
    }

    /// <summary>The data plane is up; sent to the parent with what the user should know.</summary>
    public sealed record Started(string LinkId, int VmMtu, string Transport, IReadOnlyList<string> Warnings);

    /// <summary>The capture worker could not isolate the VM port: the link runs, and `link show` says so.</summary>
    public sealed record PortWarnings(IReadOnlyList<string> Warnings);

    /// <summary>A worker's loop runs (at start, and again after a restart); <paramref name="Failures"/> = the link's failures when it started.</summary>
    public sealed record WorkerRunning(string Worker, int Failures);

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
    private readonly HashSet<IActorRef> _workers = new();
    private IDisposable? _wait;
    private bool _waiting;
    private bool _back;
    private bool _restarting;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

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
            _workers.Remove(t.ActorRef);
            if (_waiting)
            {
                // Stopped because the interface went: once both are gone, the data plane goes too.
                if (_workers.Count == 0) ReleasePlane();
                if (_workers.Count == 0 && _back) Resume();
                return;
            }
            // A worker stopped for good: the supervisor gave up after too many failures.
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed, $"{t.ActorRef.Path.Name} failed {_backoff.Failures} times; link stopped"));
            Context.Stop(Self);
        });
        Receive<WorkerRunning>(w =>
        {
            // A restarted worker runs again: the link is established again, with its usual detail.
            // A report from before the latest failure (it can arrive after it) does not count.
            if (!_restarting || _waiting || _plane is null || w.Failures != _backoff.Failures) return;
            _restarting = false;
            _log.Info("link {0}: {1} runs again", _link.Id, w.Worker);
            var detail = string.Join("; ", _plane.Warnings.Concat(_portWarnings));
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, detail.Length > 0 ? detail : _plane.Transport.Description));
        });
        Receive<InterfaceBack>(_ =>
        {
            if (!_waiting) return;
            _back = true;
            if (_workers.Count == 0) Resume();
        });
        Receive<WaitLimit>(_ =>
        {
            if (!_waiting) return;
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed,
                $"interface {_local.HostInterface} on {_local.Host} did not come back within {InterfaceWaitLimit.TotalMinutes:0} min; link stopped"));
            Context.Stop(Self);
        });
    }

    /// <inheritdoc/>
    protected override void PreStart() => StartPlane();

    private void StartPlane()
    {
        _plane = _factory.Create(_link, _local);
        _plane.Transport.SetTos(_options.Dscp << 2);
        _workers.Add(Context.Watch(Context.ActorOf(VmCaptureWorker.Props(_plane, () => _options, _counters.ToSubstrate, _backoff), "vm-capture")));
        _workers.Add(Context.Watch(Context.ActorOf(NetCaptureWorker.Props(_plane, _counters.ToVm, _backoff), "net-capture")));
        foreach (var w in _plane.Warnings) _log.Warning("link {0}: {1}", _link.Id, w);
        Context.Parent.Tell(new Started(_link.Id, _plane.VmMtu, _plane.Transport.Description, _plane.Warnings));
    }

    private void ReleasePlane()
    {
        _plane?.Dispose();
        _plane = null;
    }

    /// <summary>The VM interface is gone: stop both workers and wait for the kernel to announce it again.</summary>
    private void WaitForInterface(string name)
    {
        if (_waiting) return;
        _waiting = true;
        _back = false;
        foreach (var worker in _workers) Context.Stop(worker);
        var detail = $"waiting for interface {name} on {_local.Host}";
        _log.Warning("link {0}: interface {1} is gone; {2}", _link.Id, name, detail);
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Restarting, detail));
        var self = Self;
        try
        {
            _wait = InterfaceWatcher.Shared.WhenPresent(name, () => self.Tell(InterfaceBack.Instance));
        }
        catch (InvalidOperationException e)
        {
            _log.Warning("link {0}: cannot watch for interface {1} ({2}); the topology manager makes the link again instead", _link.Id, name, e.Message);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed, $"interface {name} on {_local.Host} is gone"));
            Context.Stop(Self);
            return;
        }
        Timers.StartSingleTimer(WaitLimit.Instance, WaitLimit.Instance, InterfaceWaitLimit);
    }

    /// <summary>The interface is back and both workers have stopped: open capture and injection anew.</summary>
    private void Resume()
    {
        _waiting = false;
        _back = false;
        _wait?.Dispose();
        _wait = null;
        Timers.Cancel(WaitLimit.Instance);
        _backoff.Failures = 0;
        _log.Info("link {0}: interface {1} is back; starting the data plane again", _link.Id, _local.HostInterface);
        try
        {
            StartPlane();
        }
        catch (Exception e)
        {
            // Back but not usable (yet): wait again rather than loop.
            _log.Warning("link {0}: cannot start on the returned interface: {1}", _link.Id, e.Message);
            ReleasePlane();
            if (_local.HostInterface is { } name) WaitForInterface(name);
        }
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _wait?.Dispose();
        ReleasePlane(); // children (and their threads) have stopped by now
    }

    /// <inheritdoc/>
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A worker whose loop failed (interface gone, socket error) is restarted alone, with back-off;
        // past the limit it is stopped and the link reports Failed.
        new OneForOneStrategy(_maxRestarts, TimeSpan.FromMinutes(1), e =>
        {
            if (_local.HostInterface is { } name && !InterfaceWatcher.Exists(name))
            {
                WaitForInterface(name);
                return Directive.Stop;
            }
            if (_waiting) return Directive.Stop;
            _backoff.Failures++;
            _restarting = true;
            _log.Warning("link {0}: {1} (restart {2} in {3})", _link.Id, e.Message, _backoff.Failures, _backoff.NextDelay);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Restarting, e.Message));
            return Directive.Restart;
        });
}
