using System.Collections.Immutable;
using Akka.Actor;
using VNet.Actors.Links;
using VNet.Actors.Tests.Hosts;
using VNet.Capture.Forwarding;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Actors.Tests.Links;

/// <summary>The capture worker isolates the VM port before it captures; when it cannot, the link still runs and says so.</summary>
public sealed class LinkActorPortTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class PortPlane(LinkSpec link, LinkEndpoint local, IReadOnlyList<string> portWarnings) : ILinkDataPlane
    {
        private readonly FakeDataPlane _inner = new(link, local);
        public int Isolations;
        public ITransport Transport => _inner.Transport;
        public int MaxFrame => _inner.MaxFrame;
        public int VmMtu => _inner.VmMtu;
        public LinkSecurity Security => _inner.Security;
        public IReadOnlyList<string> Warnings => [];

        public IReadOnlyList<string> IsolatePort()
        {
            Interlocked.Increment(ref Isolations);
            return portWarnings;
        }

        public Capture.Taps.IFrameTap OpenCapture() => _inner.OpenCapture();
        public Capture.Taps.IFrameTap OpenInjector() => _inner.OpenInjector();
        public void Dispose() => _inner.Dispose();
    }

    private sealed class Factory(Func<LinkSpec, LinkEndpoint, ILinkDataPlane> create) : IDataPlaneFactory
    {
        public ILinkDataPlane Create(LinkSpec link, LinkEndpoint local) => create(link, local);
    }

    private static (LinkSpec Link, LinkEndpoint Local) Link()
    {
        var a = new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.11") { HostInterface = "vm1" };
        var b = new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "192.0.2.12") { HostInterface = "vm2" };
        return (new LinkSpec("k1", LinkKind.RawP2P, [a, b], LinkOptions.Default) { Protocol = 200, Key = ImmutableArray.Create(new byte[32]) }, a);
    }

    [Fact]
    public void A_port_that_cannot_be_isolated_is_reported_after_started_and_the_link_stays_established()
    {
        var (link, local) = Link();
        PortPlane? plane = null;
        var parent = CreateTestProbe();
        var factory = new Factory((l, e) => plane = new PortPlane(l, e, ["VM port vm1 is not isolated: nft is not installed"]));
        parent.ChildActorOf(LinkActor.Props(link, local, factory, new LinkCounters()));
        parent.ExpectMsg<LinkActor.Started>();
        var changed = parent.ExpectMsg<LinkProtocol.StatusChanged>();
        Assert.Equal(LinkStatus.Established, changed.Status);
        Assert.Contains("vm1 is not isolated", changed.Detail);
        Assert.Equal(1, plane!.Isolations);
    }

    [Fact]
    public void An_isolated_port_adds_nothing_to_the_link_status()
    {
        var (link, local) = Link();
        PortPlane? plane = null;
        var parent = CreateTestProbe();
        var factory = new Factory((l, e) => plane = new PortPlane(l, e, []));
        parent.ChildActorOf(LinkActor.Props(link, local, factory, new LinkCounters()));
        parent.ExpectMsg<LinkActor.Started>();
        AwaitCondition(() => plane!.Isolations == 1);
        parent.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
