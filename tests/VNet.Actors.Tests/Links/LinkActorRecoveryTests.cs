using System.Collections.Immutable;
using Akka.Actor;
using VNet.Actors.Links;
using VNet.Actors.Tests.Hosts;
using VNet.Capture.Forwarding;
using VNet.Capture.Frames;
using VNet.Capture.Interfaces;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Actors.Tests.Links;

/// <summary>
/// A link whose VM interface vanishes waits for it (no restart loop) and resumes when it is back;
/// a worker that fails for another reason is restarted alone and the link is Established again.
/// </summary>
public sealed class LinkActorRecoveryTests : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>The VM interface "vm1" as a test drives it: present or not, told to the watch like netlink would.</summary>
    private sealed class FakeInterfaces : IInterfaceMonitor
    {
        private readonly object _gate = new();
        private Action<InterfaceState?>? _onChange;
        public volatile InterfaceState? Current = new("vm1", 5, true, 1430);
        public int Watches;
        public int Disposed;

        public IDisposable Watch(string name, Action<InterfaceState?> onChange, Action<Exception> onFailure)
        {
            lock (_gate)
            {
                Interlocked.Increment(ref Watches);
                _onChange = onChange;
                onChange(Current); // what a dump says
            }
            return new Unwatch(this);
        }

        public bool Exists(string name) => Current is not null;

        public void Set(InterfaceState? state)
        {
            lock (_gate)
            {
                Current = state;
                _onChange?.Invoke(state);
            }
        }

        private sealed class Unwatch(FakeInterfaces owner) : IDisposable
        {
            public void Dispose() => Interlocked.Increment(ref owner.Disposed);
        }
    }

    /// <summary>A data plane on <see cref="FakeInterfaces"/>: its taps fail when the interface is gone, as packet sockets do.</summary>
    private sealed class Plane(LinkSpec link, LinkEndpoint local, FakeInterfaces interfaces) : ILinkDataPlane
    {
        private readonly FakeDataPlane _inner = new(link, local);
        public int CaptureOpens, InjectorOpens, Isolations;
        public volatile int CaptureFailuresToThrow;
        public readonly List<int?> Reattached = new();
        public ITransport Transport => _inner.Transport;
        public int MaxFrame => _inner.MaxFrame;
        public int VmMtu => _inner.VmMtu;
        public LinkSecurity Security => _inner.Security;
        public IReadOnlyList<string> Warnings => [];

        public IReadOnlyList<string> IsolatePort()
        {
            Interlocked.Increment(ref Isolations);
            return [];
        }

        public IReadOnlyList<string> Reattach(int? mtu)
        {
            lock (Reattached) Reattached.Add(mtu);
            return [];
        }

        public IFrameTap OpenCapture()
        {
            Interlocked.Increment(ref CaptureOpens);
            var index = interfaces.Current?.Index ?? throw new InvalidOperationException("interface 'vm1' does not exist on this host");
            return new Tap(this, interfaces, index);
        }

        public IFrameTap OpenInjector()
        {
            Interlocked.Increment(ref InjectorOpens);
            if (interfaces.Current is null) throw new InvalidOperationException("interface 'vm1' does not exist on this host");
            return new IdleFrameTap("vm1");
        }

        public void Dispose() => _inner.Dispose();

        private sealed class Tap(Plane plane, FakeInterfaces interfaces, int index) : IFrameTap
        {
            public string Interface => "vm1";

            public int Dispatch(IFrameSink sink, int maxFrames, int timeoutMicros)
            {
                Thread.Sleep(10);
                if (interfaces.Current?.Index != index) throw new InvalidOperationException("interface vm1 went away");
                if (plane.CaptureFailuresToThrow > 0 && Interlocked.Decrement(ref plane.CaptureFailuresToThrow) >= 0)
                    throw new InvalidOperationException("capture on vm1 failed: No buffer space available");
                return 0;
            }

            public bool Inject(ReadOnlySpan<byte> frame) => true;
            public void Break() { }
            public void Dispose() { }
        }
    }

    private sealed class Factory(FakeInterfaces interfaces) : IDataPlaneFactory
    {
        public Plane? Plane;
        public IInterfaceMonitor? Interfaces => interfaces;
        public ILinkDataPlane Create(LinkSpec link, LinkEndpoint local) => Plane = new Plane(link, local, interfaces);
    }

    private static (LinkSpec Link, LinkEndpoint Local) Link()
    {
        var a = new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.11") { HostInterface = "vm1" };
        var b = new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "192.0.2.12") { HostInterface = "vm2" };
        return (new LinkSpec("k1", LinkKind.RawP2P, [a, b], LinkOptions.Default) { Protocol = 200, Key = ImmutableArray.Create(new byte[32]) }, a);
    }

    private (Akka.TestKit.TestProbe Parent, IActorRef Link, Factory Factory, FakeInterfaces Interfaces) Start(LinkRecovery? recovery = null)
    {
        var (link, local) = Link();
        var interfaces = new FakeInterfaces();
        var factory = new Factory(interfaces);
        var parent = CreateTestProbe();
        var actor = parent.ChildActorOf(LinkActor.Props(link, local, factory, new LinkCounters(), recovery));
        parent.ExpectMsg<LinkActor.Started>();
        AwaitCondition(() => factory.Plane!.CaptureOpens == 1 && factory.Plane.InjectorOpens == 1);
        return (parent, actor, factory, interfaces);
    }

    /// <summary>Status changes up to the first one of <paramref name="status"/>; returns that one and how many Restarting came before it.</summary>
    private static (LinkProtocol.StatusChanged Changed, int Restarts) Until(Akka.TestKit.TestProbe parent, LinkStatus status, TimeSpan within)
    {
        var restarts = 0;
        var changed = parent.FishForMessage<LinkProtocol.StatusChanged>(m =>
        {
            if (m.Status == LinkStatus.Restarting) restarts++;
            return m.Status == status;
        }, within);
        return (changed, restarts);
    }

    [Fact]
    public void A_vanished_interface_makes_the_link_wait_without_a_restart_loop_and_its_return_resumes_it()
    {
        var (parent, _, factory, interfaces) = Start();
        interfaces.Set(null);
        var (waiting, restarts) = Until(parent, LinkStatus.Waiting, TimeSpan.FromSeconds(3));
        Assert.Equal("waiting for interface vm1 on h1", waiting.Detail);
        Assert.True(restarts <= 2, $"{restarts} restarts before waiting");

        // While it waits nothing restarts: no status messages, no taps opened.
        var opens = factory.Plane!.CaptureOpens + factory.Plane.InjectorOpens;
        parent.ExpectNoMsg(TimeSpan.FromSeconds(2));
        Assert.Equal(opens, factory.Plane.CaptureOpens + factory.Plane.InjectorOpens);

        // Back under the same name but down (just created): still waiting. Then up, with the kernel's default MTU.
        interfaces.Set(new InterfaceState("vm1", 9, false, 1500));
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        interfaces.Set(new InterfaceState("vm1", 9, true, 1500));
        var back = Until(parent, LinkStatus.Established, TimeSpan.FromSeconds(3)).Changed;
        Assert.Equal("fake proto 200", back.Detail); // the usual detail: the transport
        // Both directions reopen on the new interface; the port is isolated again; its MTU is set back.
        AwaitCondition(() => factory.Plane.CaptureOpens >= 2 && factory.Plane.InjectorOpens >= 2 && factory.Plane.Isolations >= 2);
        lock (factory.Plane.Reattached) Assert.Equal([1430], factory.Plane.Reattached);
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // and it stays up
    }

    [Fact]
    public void An_interface_that_stays_away_past_the_limit_fails_the_link_with_the_reason()
    {
        var (parent, link, _, interfaces) = Start(LinkRecovery.Default with { InterfaceWait = TimeSpan.FromSeconds(1) });
        Watch(link);
        interfaces.Set(null);
        Until(parent, LinkStatus.Waiting, TimeSpan.FromSeconds(3));
        var failed = Until(parent, LinkStatus.Failed, TimeSpan.FromSeconds(3)).Changed;
        Assert.Equal("interface vm1 on h1 was absent for 1 s; link stopped", failed.Detail);
        ExpectTerminated(link);
        AwaitCondition(() => interfaces.Disposed == 1); // the watch ends with the link
    }

    [Fact]
    public void An_interface_replaced_faster_than_its_events_is_reattached()
    {
        var (parent, _, factory, interfaces) = Start();
        interfaces.Set(new InterfaceState("vm1", 11, true, 1430)); // a new index, no deletion seen
        Until(parent, LinkStatus.Waiting, TimeSpan.FromSeconds(3));
        Until(parent, LinkStatus.Established, TimeSpan.FromSeconds(3));
        AwaitCondition(() => factory.Plane!.InjectorOpens >= 2 && factory.Plane.CaptureOpens >= 2);
        lock (factory.Plane!.Reattached) Assert.Equal([null], factory.Plane.Reattached); // same MTU: left alone
    }

    [Fact]
    public void A_worker_that_fails_for_another_reason_restarts_alone_and_the_link_is_established_again()
    {
        var (parent, _, factory, _) = Start();
        factory.Plane!.CaptureFailuresToThrow = 1;
        var restarting = Until(parent, LinkStatus.Restarting, TimeSpan.FromSeconds(3)).Changed;
        Assert.Contains("vm-capture failed: capture on vm1 failed", restarting.Detail);
        var back = Until(parent, LinkStatus.Established, TimeSpan.FromSeconds(3)).Changed;
        Assert.Equal("fake proto 200", back.Detail);
        Assert.Equal(2, factory.Plane.CaptureOpens);
        Assert.Equal(1, factory.Plane.InjectorOpens); // the other worker kept running
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_worker_that_keeps_failing_fails_the_link_after_its_restarts()
    {
        var (parent, link, factory, _) = Start(LinkRecovery.Default with { MaxRestarts = 3 });
        Watch(link);
        factory.Plane!.CaptureFailuresToThrow = 1000;
        var (failed, restarts) = Until(parent, LinkStatus.Failed, TimeSpan.FromSeconds(10));
        Assert.Contains("vm-capture", failed.Detail);
        Assert.InRange(restarts, 3, 4);
        ExpectTerminated(link);
    }
}
