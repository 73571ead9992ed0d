using System.Collections.Immutable;
using VNet.Actors.Links;
using VNet.Actors.Tests.Hosts;
using VNet.Capture.Forwarding;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Actors.Tests.Links;

/// <summary>
/// A worker whose loop fails is restarted alone, and the link says established again once it runs;
/// a worker that fails because the VM interface is gone stops, and the link waits for the interface
/// instead of restarting in a loop.
/// </summary>
public sealed class LinkActorRestartTests : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>The capture tap's first <see cref="FailingTap.Dispatch"/> throws, as a socket error would; later opens work.</summary>
    private sealed class FlakyPlane(LinkSpec link, LinkEndpoint local, int failingOpens) : ILinkDataPlane
    {
        private readonly FakeDataPlane _inner = new(link, local);
        public int CaptureOpens;
        public int InjectorOpens;
        public ITransport Transport => _inner.Transport;
        public int MaxFrame => _inner.MaxFrame;
        public int VmMtu => _inner.VmMtu;
        public LinkSecurity Security => _inner.Security;
        public IReadOnlyList<string> Warnings => [];
        public bool Disposed => _inner.Disposed;
        public IReadOnlyList<string> IsolatePort() => [];

        public IFrameTap OpenCapture() =>
            Interlocked.Increment(ref CaptureOpens) <= failingOpens ? new FailingTap(local.HostInterface!) : _inner.OpenCapture();

        public IFrameTap OpenInjector()
        {
            Interlocked.Increment(ref InjectorOpens);
            return _inner.OpenInjector();
        }

        public void Dispose() => _inner.Dispose();
    }

    private sealed class FailingTap(string name) : IFrameTap
    {
        public string Interface => name;
        public int Dispatch(IFrameSink sink, int maxFrames, int timeoutMicros) => throw new IOException("recvmmsg failed: Network is down");
        public bool Inject(ReadOnlySpan<byte> frame) => false;
        public void Break() { }
        public void Dispose() { }
    }

    /// <summary>In-memory data planes on this process's real interfaces, watched with netlink (read only).</summary>
    private sealed class Factory(Func<LinkSpec, LinkEndpoint, ILinkDataPlane> create) : IDataPlaneFactory
    {
        public Capture.Interfaces.IInterfaceMonitor? Interfaces => Capture.Interfaces.NetlinkInterfaceMonitor.Instance;
        public ILinkDataPlane Create(LinkSpec link, LinkEndpoint local) => create(link, local);
    }

    private static (LinkSpec Link, LinkEndpoint Local) Link(string hostInterface)
    {
        var a = new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.11") { HostInterface = hostInterface };
        var b = new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "192.0.2.12") { HostInterface = "vm2" };
        return (new LinkSpec("k1", LinkKind.RawP2P, [a, b], LinkOptions.Default) { Protocol = 200, Key = ImmutableArray.Create(new byte[32]) }, a);
    }

    [Fact]
    public void A_failed_worker_restarts_alone_and_the_link_is_established_again()
    {
        // "lo" exists in every namespace: the failure is not a vanished interface.
        var (link, local) = Link("lo");
        var planes = new List<FlakyPlane>();
        var parent = CreateTestProbe();
        parent.ChildActorOf(LinkActor.Props(link, local, new Factory((l, e) => { var p = new FlakyPlane(l, e, failingOpens: 1); planes.Add(p); return p; }), new LinkCounters()));
        parent.ExpectMsg<LinkActor.Started>();
        var restarting = parent.FishForMessage<LinkProtocol.StatusChanged>(s => s.Status == LinkStatus.Restarting, TimeSpan.FromSeconds(5));
        Assert.Contains("Network is down", restarting.Detail);
        var again = parent.FishForMessage<LinkProtocol.StatusChanged>(s => s.Status == LinkStatus.Established, TimeSpan.FromSeconds(5));
        Assert.Contains("fake proto 200", again.Detail);
        var plane = Assert.Single(planes); // the data plane was kept
        Assert.Equal(2, plane.CaptureOpens);
        Assert.Equal(1, plane.InjectorOpens); // the other worker was left alone
        Assert.False(plane.Disposed);
    }

    [Fact]
    public void A_worker_failing_because_its_interface_is_gone_makes_the_link_wait_for_it_without_restarting()
    {
        var (link, local) = Link("vtgone0");
        var planes = new List<FlakyPlane>();
        var parent = CreateTestProbe();
        parent.ChildActorOf(LinkActor.Props(link, local, new Factory((l, e) => { var p = new FlakyPlane(l, e, failingOpens: 100); planes.Add(p); return p; }), new LinkCounters()));
        parent.ExpectMsg<LinkActor.Started>();
        var waiting = parent.FishForMessage<LinkProtocol.StatusChanged>(s => s.Status == LinkStatus.Waiting, TimeSpan.FromSeconds(5));
        Assert.Equal("waiting for interface vtgone0 on h1", waiting.Detail);
        var plane = Assert.Single(planes);
        parent.ExpectNoMsg(TimeSpan.FromSeconds(1)); // no restart loop, no Failed
        Assert.InRange(plane.CaptureOpens, 0, 1); // the netlink dump may say "absent" before the first open
        // The workers (and their VM-side sockets) are stopped; the transport and the link's sequence
        // numbers stay for when the interface is back.
        Assert.False(plane.Disposed);
    }
}
