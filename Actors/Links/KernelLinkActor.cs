using Akka.Actor;
using Akka.Event;
using VNet.Capture.Forwarding;
using VNet.Capture.Interfaces;
using VNet.Capture.Inventory;
using VNet.Capture.Kernel;
using VNet.Messages;

namespace VNet.Actors.Links;

/// <summary>
/// One kernel-kind link on one host: sets up the kernel's end (<see cref="IKernelLink"/>), changes it
/// when the options change, and removes it when stopped. It has no workers: the kernel forwards
/// every frame. The commands run off the actor and their outcome is piped back.
/// <para>
/// States: <c>Starting</c> (the end is being made; option changes wait) → <c>Running</c> ⇄
/// <c>Applying</c> (an option change runs; further changes wait). The VM port is watched as the
/// userspace links watch it: when it vanishes the link reports Waiting, when it is back the
/// redirect is made again on the new interface.
/// </para>
/// </summary>
public sealed class KernelLinkActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private sealed record Up(IReadOnlyList<string> Warnings);

    private sealed record StartFailed(string Reason);

    private sealed record Applied(LinkOptions Options, IActorRef ReplyTo, string? Error);

    private sealed record Reattached(IReadOnlyList<string> Warnings);

    private sealed record InterfaceChanged(InterfaceState? State);

    private sealed record WaitExpired(int Episode);

    private const string WaitTimer = "interface-wait";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkSpec _link;
    private readonly LinkEndpoint _local;
    private readonly IDataPlaneFactory _factory;
    private readonly LinkCounters _counters;
    private readonly LinkRecovery _recovery;
    private IKernelLink? _kernel;
    private IDisposable? _watch;
    private InterfaceState? _attached;
    private List<string> _warnings = new();
    private bool _waiting;
    private int _episode;

    /// <inheritdoc/>
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of the kernel link <paramref name="link"/> at its endpoint <paramref name="local"/>.</summary>
    public static Props Props(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, LinkRecovery? recovery = null) =>
        Akka.Actor.Props.Create(() => new KernelLinkActor(link, local, factory, counters, recovery ?? LinkRecovery.Default));

    public KernelLinkActor(LinkSpec link, LinkEndpoint local, IDataPlaneFactory factory, LinkCounters counters, LinkRecovery recovery)
    {
        _link = link;
        _local = local;
        _factory = factory;
        _counters = counters;
        _recovery = recovery;
        Become(Starting);
    }

    private string Interface => _local.HostInterface ?? "";

    private string WaitingDetail => $"waiting for interface {Interface} on {_local.Host}";

    /// <inheritdoc/>
    protected override void PreStart()
    {
        _kernel = _factory.CreateKernel(_link, _local);
        var kernel = _kernel;
        Task.Run(() => kernel.Start()).PipeTo(Self,
            success: warnings => new Up(warnings),
            failure: e => new StartFailed(e is ExternalToolException ? e.Message : $"{e.GetType().Name}: {e.Message}"));
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _watch?.Dispose();
        _counters.Refresh = null;
        _kernel?.Dispose(); // the device, the redirect and the port isolation go with the link
    }

    private void Starting()
    {
        Receive<Up>(up =>
        {
            _warnings = up.Warnings.ToList();
            foreach (var w in _warnings) _log.Warning("link {0}: {1}", _link.Id, w);
            var kernel = _kernel!;
            _counters.Refresh = () => kernel.Sample(_counters);
            StartWatch();
            _log.Info("link {0}: {1}", _link.Id, kernel.Description);
            Context.Parent.Tell(new LinkActor.Started(_link.Id, kernel.VmMtu, kernel.Description, _warnings));
            Become(Running);
            Stash.UnstashAll();
        });
        Receive<StartFailed>(f => Fail($"the kernel end could not be made: {f.Reason}"));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Running()
    {
        Receive<LinkActor.SetOptions>(s =>
        {
            var kernel = _kernel!;
            var replyTo = Sender;
            Task.Run(() => kernel.Apply(s.Options)).PipeTo(Self,
                success: () => new Applied(s.Options, replyTo, null),
                failure: e => new Applied(s.Options, replyTo, e.Message));
            Become(Applying);
        });
        Watching();
    }

    private void Applying()
    {
        Receive<Applied>(a =>
        {
            if (a.Error is null)
                a.ReplyTo.Tell(_waiting
                    ? new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Waiting, WaitingDetail)
                    : new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, "options changed"));
            else
                a.ReplyTo.Tell(new LinkProtocol.CreateFailed(_link.Id, $"link {_link.Id} on {_local.Host}: the options could not be applied: {a.Error}"));
            Become(Running);
            Stash.UnstashAll();
        });
        Receive<LinkActor.SetOptions>(_ => Stash.Stash());
        Watching();
    }

    /// <summary>What both running states handle: the VM port vanishing and coming back.</summary>
    private void Watching()
    {
        Receive<InterfaceChanged>(c => OnInterface(c.State));
        Receive<Reattached>(r =>
        {
            foreach (var w in r.Warnings) _log.Warning("link {0}: {1}", _link.Id, w);
            Report(r.Warnings);
        });
        Receive<WaitExpired>(e =>
        {
            if (_waiting && e.Episode == _episode)
                Fail($"interface {Interface} on {_local.Host} was absent for {_recovery.InterfaceWait.TotalSeconds:0} s; link stopped");
        });
    }

    private void StartWatch()
    {
        if (_factory.Interfaces is not { } monitor || Interface.Length == 0) return;
        var self = Self;
        try
        {
            _watch = monitor.Watch(Interface, s => self.Tell(new InterfaceChanged(s)), e => _log.Warning("link {0}: the watch of {1} failed: {2}", _link.Id, Interface, e.Message));
        }
        catch (InvalidOperationException e)
        {
            _log.Warning("link {0}: interface {1} is not watched ({2})", _link.Id, Interface, e.Message);
        }
    }

    private void OnInterface(InterfaceState? state)
    {
        if (state is null)
        {
            if (_waiting) return;
            _waiting = true;
            _episode++;
            _log.Warning("link {0}: interface {1} is gone; the link waits for it (at most {2:0} s)", _link.Id, Interface, _recovery.InterfaceWait.TotalSeconds);
            Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Waiting, WaitingDetail));
            Timers.StartSingleTimer(WaitTimer, new WaitExpired(_episode), _recovery.InterfaceWait);
            return;
        }
        var replaced = _attached is { } before && before.Index != state.Index;
        if ((_waiting || replaced) && state.Up)
        {
            // A new interface of that name: its ingress has no redirect yet and its MTU is the default.
            int? mtu = _attached is { Mtu: > 0 } old && old.Mtu != state.Mtu ? old.Mtu : null;
            _waiting = false;
            Timers.Cancel(WaitTimer);
            _attached = mtu is { } m ? state with { Mtu = m } : state;
            var kernel = _kernel!;
            Task.Run(() => kernel.Reattach(mtu)).PipeTo(Self, success: w => new Reattached(w), failure: e => new Reattached([e.Message]));
            _log.Info("link {0}: interface {1} is back (index {2}); the link resumes", _link.Id, Interface, state.Index);
            return;
        }
        if (!_waiting) _attached = state;
    }

    private void Report(IReadOnlyList<string> extra)
    {
        var notes = _warnings.Concat(extra).ToList();
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Established, notes.Count > 0 ? string.Join("; ", notes) : _kernel!.Description));
    }

    private void Fail(string detail)
    {
        _log.Error("link {0}: {1}", _link.Id, detail);
        Context.Parent.Tell(new LinkProtocol.StatusChanged(_link.Id, LinkStatus.Failed, detail));
        Context.Stop(Self);
    }
}
