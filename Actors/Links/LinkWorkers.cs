using Akka.Actor;
using Akka.Event;
using VNet.Capture.Forwarding;
using VNet.Capture.Taps;
using VNet.Messages;

namespace VNet.Actors.Links;

/// <summary>A worker's loop failed; thrown so the LinkActor's supervisor sees it.</summary>
public sealed class WorkerFailedException(string worker, string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The name of the worker actor that failed.</summary>
    public string Worker { get; } = worker;
}

/// <summary>Failures of a link's workers, shared by the LinkActor and its workers across restarts.</summary>
public sealed class RestartBackoff
{
    /// <summary>Failures so far.</summary>
    public int Failures;

    /// <summary>Delay before the next start: 0, then 100 ms doubling up to 5 s.</summary>
    public TimeSpan NextDelay => Failures == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(Failures - 1, 10))));
}

/// <summary>
/// Base of the two workers: starts a <see cref="ForwarderThread"/> (after a back-off when
/// restarted), turns a loop failure into an exception for the supervisor, stops it on stop.
/// Frames never pass through the actor: it only owns the thread.
/// </summary>
public abstract class LinkWorker : ReceiveActor, IWithTimers
{
    private sealed record Start
    {
        public static Start Instance { get; } = new();
    }

    private sealed record LoopFailed(Exception Error);

    private readonly RestartBackoff _backoff;
    private readonly List<IDisposable> _owned = new();
    /// <summary>The logger.</summary>
    protected readonly ILoggingAdapter Log = Context.GetLogger();

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the worker.</summary>
    protected LinkWorker(RestartBackoff backoff)
    {
        _backoff = backoff;
        Receive<Start>(_ => StartLoop());
        Receive<LoopFailed>(f => throw new WorkerFailedException(Self.Path.Name, $"{Self.Path.Name} failed: {f.Error.Message}", f.Error));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        var delay = _backoff.NextDelay;
        if (delay == TimeSpan.Zero) StartLoop();
        else Timers.StartSingleTimer(Start.Instance, Start.Instance, delay);
    }

    private void StartLoop()
    {
        var self = Self;
        var (forwarder, wake) = Open(_owned);
        var name = $"vnet-{Context.Parent.Path.Name}-{Self.Path.Name}";
        void Failed(Exception e) => self.Tell(new LoopFailed(e));
        // Both workers of a link end join the pool under the data plane, so one thread serves both directions.
        _owned.Add(Plane.Pool is { } pool && forwarder.WaitFd >= 0
            ? pool.Join(Plane, name, forwarder, Failed)
            : new ForwarderThread(name, forwarder.RunOnce, wake, Failed));
        Context.Parent.Tell(new LinkActor.WorkerRunning(Self.Path.Name, _backoff.Failures));
    }

    /// <summary>The link end's data plane.</summary>
    protected abstract ILinkDataPlane Plane { get; }

    /// <summary>
    /// Opens what the loop needs (added to <paramref name="owned"/> for disposal) and returns the
    /// forwarder (run by the node's pool, or by a thread of its own when the pool cannot wait on it)
    /// and how to wake its thread.
    /// </summary>
    protected abstract (IForwarder Forwarder, Action? Wake) Open(List<IDisposable> owned);

    /// <inheritdoc/>
    protected override void PostStop()
    {
        // Stop the thread first (it is last in the list), then what it used.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try { _owned[i].Dispose(); }
            catch (Exception e) { Log.Warning("stopping {0}: {1}", Self.Path.Name, e.Message); }
        }
        _owned.Clear();
    }
}

/// <summary>vm-capture: VM interface → capsule → substrate (the paper's TCV/TEF).</summary>
public sealed class VmCaptureWorker : LinkWorker
{
    private readonly ILinkDataPlane _plane;
    private readonly Func<LinkOptions> _options;
    private readonly DirectionStats _stats;

    /// <summary>Props.</summary>
    public static Props Props(ILinkDataPlane plane, Func<LinkOptions> options, DirectionStats stats, RestartBackoff backoff) =>
        Akka.Actor.Props.Create(() => new VmCaptureWorker(plane, options, stats, backoff));

    public VmCaptureWorker(ILinkDataPlane plane, Func<LinkOptions> options, DirectionStats stats, RestartBackoff backoff) : base(backoff)
    {
        _plane = plane;
        _options = options;
        _stats = stats;
    }

    /// <inheritdoc/>
    protected override ILinkDataPlane Plane => _plane;

    /// <inheritdoc/>
    protected override (IForwarder, Action?) Open(List<IDisposable> owned)
    {
        // The port is isolated before the capture opens: from then on only VNet sees what the VM sends.
        // Here, not in the LinkActor: nft is an external process, and this runs on the worker's start.
        var warnings = _plane.IsolatePort();
        if (warnings.Count > 0) Context.Parent.Tell(new LinkActor.PortWarnings(warnings));
        IFrameTap tap = _plane.OpenCapture();
        owned.Add(tap);
        var forwarder = new VmToSubstrateForwarder(tap, _plane.Transport, _stats, _options, _plane.Security, spinMicros: _plane.SpinMicros);
        owned.Add(forwarder);
        return (forwarder, tap.Break);
    }
}

/// <summary>net-capture: substrate → capsule → VM interface (the paper's TCF/TEV).</summary>
public sealed class NetCaptureWorker : LinkWorker
{
    private readonly ILinkDataPlane _plane;
    private readonly DirectionStats _stats;

    /// <summary>Props.</summary>
    public static Props Props(ILinkDataPlane plane, DirectionStats stats, RestartBackoff backoff) =>
        Akka.Actor.Props.Create(() => new NetCaptureWorker(plane, stats, backoff));

    public NetCaptureWorker(ILinkDataPlane plane, DirectionStats stats, RestartBackoff backoff) : base(backoff)
    {
        _plane = plane;
        _stats = stats;
    }

    /// <inheritdoc/>
    protected override ILinkDataPlane Plane => _plane;

    /// <inheritdoc/>
    protected override (IForwarder, Action?) Open(List<IDisposable> owned)
    {
        IFrameTap tap = _plane.OpenInjector();
        owned.Add(tap);
        var forwarder = new SubstrateToVmForwarder(_plane.Transport, tap, _stats, _plane.Security, spinMicros: _plane.SpinMicros);
        owned.Add(forwarder);
        return (forwarder, null);
    }
}
