using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using VNet.Actors.Hosts;
using VNet.Actors.Negotiation;
using VNet.Capture.Inventory;
using VNet.Messages;
using static VNet.Actors.Tests.Negotiation.NegotiationFixtures;
using Msg = VNet.Messages.NegotiationProtocol;

namespace VNet.Actors.Tests.Hosts;

/// <summary>
/// The UDP port a host picks for its end of a udp-p2p link while negotiating it: it must come back
/// when the negotiation fails, or the host's port range drains away one failure at a time.
/// </summary>
public sealed class HostActorUdpPortTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Loopback = "127.0.0.1";

    /// <summary>A UDP port free on the loopback right now.</summary>
    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static LinkSpec UdpLink(string id) =>
        new(id, LinkKind.UdpP2P,
            [
                new LinkEndpoint(HostA, "a1", Mac('a', 1), Loopback),
                new LinkEndpoint(HostB, "b1", Mac('b', 1), "127.0.0.2"),
            ],
            LinkOptions.Default);

    private IActorRef StartHost(string name, string address, ImmutableArray<VmInfo> vms, IActorRef mediator, int port) =>
        Sys.ActorOf(HostActor.Props(
            new HostSettings(name, address) { UdpPortFirst = port, UdpPortLast = port, AnnounceInterval = TimeSpan.FromMinutes(10) },
            new ProtocolNumberTable(), new StaticVmProvider(vms), () => new HostInfo(name, address, [], vms, 0),
            new FakeDataPlaneFactory(), mediator, CreateTestProbe().Ref, new LockedRandom(1)), name);

    [Fact]
    public async Task Udp_port_of_a_failed_negotiation_is_offered_again()
    {
        // A has exactly one UDP port; B has no VM b1 and refuses every proposal at once.
        var port = FreeLoopbackPort();
        var mediator = Sys.ActorOf(FakePubSubMediator.Props());
        var a = StartHost(HostA, Loopback, [new VmInfo("a1", [new VmNic(Mac('a', 1), "veth-a1")], "running")], mediator, port);
        StartHost(HostB, "127.0.0.2", [], mediator, port);
        await AwaitAssertAsync(async () =>
            Assert.Equal(2, (await mediator.Ask<ImmutableArray<IActorRef>>(new FakePubSubMediator.GetSubscribers(Msg.Topic))).Length));

        a.Tell(new LinkProtocol.Create(UdpLink("udp-1")), TestActor);
        var first = ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5));
        Assert.Contains($"host {HostB} refused", first.Reason);
        var proposal = (await mediator.Ask<ImmutableArray<object>>(FakePubSubMediator.GetPublished.Instance)).OfType<Msg.Propose>().First();
        Assert.Equal(port, proposal.Link.EndpointOn(HostA)!.Port);

        a.Tell(new LinkProtocol.Create(UdpLink("udp-2")), TestActor);

        // The second attempt gets as far as the first (B's refusal), not "no free UDP port".
        var second = ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal("udp-2", second.LinkId);
        Assert.Contains($"host {HostB} refused", second.Reason);
    }
}
