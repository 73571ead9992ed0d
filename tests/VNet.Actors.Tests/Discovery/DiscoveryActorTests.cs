using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using VNet.Actors.Discovery;
using VNet.Messages;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Tests.Discovery;

public sealed class DiscoveryActorTests : TestKit
{
    private static readonly Config VirtualTime = ConfigurationFactory.ParseString(
        "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"");

    private static readonly IPEndPoint Querier = new(IPAddress.Parse("192.0.2.99"), DiscoverySettings.DefaultPort);

    private readonly FakeDiscoveryChannel _channel = new();
    private readonly TestProbe _topology;

    public DiscoveryActorTests() : base(VirtualTime)
    {
        _topology = CreateTestProbe();
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private static HostInfo Me() => new("h1", "192.0.2.10", [new InterfaceInfo("eth0", "192.0.2.10", 24, MacAddress.Parse("02:00:00:00:00:01"), "192.0.2.1", null, 1500)],
        [new VmInfo("vm1", [new VmNic(MacAddress.Parse("02:00:00:00:01:01"), "vm1")], "running")], 0.25) { NodeAddress = "akka.tcp://vnet@192.0.2.10:4053" };

    private static HostInfo Peer(string name, string address) => new(name, address, [], [], 1.0) { NodeAddress = $"akka.tcp://vnet@{address}:4053" };

    private IActorRef Discovery() => Sys.ActorOf(DiscoveryActor.Props(new DiscoverySettings(), new DiscoveryIdentity("h1", "akka.tcp://vnet@192.0.2.10:4053"), _channel, Me, _topology));

    private (int Ttl, DiscoveryQuery Query) NextQuery()
    {
        (byte[] Datagram, int Ttl) sent = default;
        AwaitCondition(() => _channel.Queries.TryDequeue(out sent), TimeSpan.FromSeconds(3));
        Assert.True(DiscoveryDatagram.TryDecode(sent.Datagram, out var message, out var error), error);
        return (sent.Ttl, Assert.IsType<DiscoveryQuery>(message));
    }

    [Fact]
    public void A_search_sends_ttl_1_at_once_then_ttl_plus_one_every_2_s_of_virtual_time()
    {
        var discovery = Discovery();
        var client = CreateTestProbe();
        discovery.Tell(new Search(3, 0), client);
        var started = client.ExpectMsg<SearchStarted>();
        Assert.Equal((3, 0, TimeSpan.FromSeconds(2)), (started.TtlMax, started.Want, started.Step));
        Assert.Equal((1, TimeSpan.Zero), Ttl(client.ExpectMsg<QuerySent>()));
        var (ttl, query) = NextQuery();
        Assert.Equal((1, 1, started.SearchId, "h1"), (ttl, query.Ttl, query.QueryId, query.Host));

        Clock.Advance(TimeSpan.FromSeconds(1.9));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal((2, TimeSpan.FromSeconds(2)), Ttl(client.ExpectMsg<QuerySent>()));
        Assert.Equal(2, NextQuery().Ttl);
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((3, TimeSpan.FromSeconds(4)), Ttl(client.ExpectMsg<QuerySent>()));
        Clock.Advance(TimeSpan.FromSeconds(2));
        var done = client.ExpectMsg<SearchFinished>();
        Assert.Equal((SearchEnd.TtlMaxReached, 3, TimeSpan.FromSeconds(6)), (done.Reason, done.LastTtl, done.Elapsed));
        Assert.Empty(done.Hosts);
    }

    private static (int, TimeSpan) Ttl(QuerySent q) => (q.Ttl, q.Elapsed);

    [Fact]
    public void Answers_are_streamed_with_their_ttl_and_the_search_stops_at_the_wanted_count()
    {
        var discovery = Discovery();
        var client = CreateTestProbe();
        discovery.Tell(new Search(6, 2), client);
        var id = client.ExpectMsg<SearchStarted>().SearchId;
        client.ExpectMsg<QuerySent>();
        Clock.Advance(TimeSpan.FromSeconds(2));
        client.ExpectMsg<QuerySent>(q => q.Ttl == 2);
        _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryAnswer(id, 2, MemberState.Up, Peer("h2", "198.51.100.10"), null)), new IPEndPoint(IPAddress.Parse("198.51.100.10"), 48600));
        var found = client.ExpectMsg<HostFound>();
        Assert.Equal(("h2", 2, true, MemberState.Up), (found.Host.Info.Name, found.Host.Ttl, found.First, found.Host.State));
        Assert.Equal("h2", _topology.ExpectMsg<TopologyProtocol.Discovered>().Host.Name);

        // The same host again (answering the TTL-3 query) replaces its answer but keeps TTL 2.
        Clock.Advance(TimeSpan.FromSeconds(2));
        client.ExpectMsg<QuerySent>(q => q.Ttl == 3);
        var newer = Peer("h2", "198.51.100.10") with { Load = 7, ReadAt = DateTime.UtcNow.AddSeconds(5) };
        _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryAnswer(id, 3, MemberState.Up, newer, null)), new IPEndPoint(IPAddress.Parse("198.51.100.10"), 48600));
        var again = client.ExpectMsg<HostFound>();
        Assert.Equal((false, 2, 7.0), (again.First, again.Host.Ttl, again.Host.Info.Load));

        _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryAnswer(id, 3, MemberState.Up, Peer("h3", "203.0.113.10"), null)), new IPEndPoint(IPAddress.Parse("203.0.113.10"), 48600));
        Assert.Equal(3, client.ExpectMsg<HostFound>().Host.Ttl);
        var done = client.ExpectMsg<SearchFinished>();
        Assert.Equal((SearchEnd.WantReached, 3), (done.Reason, done.LastTtl));
        Assert.Equal(["h2", "h3"], done.Hosts.Select(h => h.Info.Name).ToArray());
        Clock.Advance(TimeSpan.FromSeconds(10));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.DoesNotContain(_channel.Queries, q => q.Ttl > 3);
    }

    [Fact]
    public void A_query_is_answered_unicast_with_this_host_and_the_query_id_and_ttl()
    {
        Discovery();
        var id = Guid.NewGuid();
        _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryQuery(id, 3, MemberState.NotMember, "h9", "akka.tcp://vnet@192.0.2.99:4053", null)), Querier);
        (byte[] Datagram, IPEndPoint To) sent = default;
        AwaitCondition(() => _channel.Answers.TryDequeue(out sent), TimeSpan.FromSeconds(5));
        Assert.Equal(Querier, sent.To);
        Assert.True(DiscoveryDatagram.TryDecode(sent.Datagram, out var message, out _));
        var answer = Assert.IsType<DiscoveryAnswer>(message);
        Assert.Equal((id, 3, "h1", "akka.tcp://vnet@192.0.2.10:4053"), (answer.QueryId, answer.Ttl, answer.Host.Name, answer.Host.NodeAddress));
        Assert.Equal(["vm1"], answer.Host.Vms.Select(v => v.Name).ToArray());
    }

    [Fact]
    public void Malformed_datagrams_are_counted_and_the_node_keeps_answering()
    {
        var discovery = Discovery();
        _channel.Deliver([], Querier);
        _channel.Deliver("VNDS not really"u8.ToArray(), Querier);
        _channel.Deliver("hello, world, this is no discovery datagram"u8.ToArray(), Querier);
        var forged = DiscoveryDatagram.Encode(new DiscoveryAnswer(Guid.NewGuid(), 1, MemberState.Up, Peer("h7", "192.0.2.7"), null));
        _channel.Deliver(forged, Querier);
        _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryQuery(Guid.NewGuid(), 1, MemberState.Up, "h9", "", null)), Querier);
        AwaitCondition(() => !_channel.Answers.IsEmpty, TimeSpan.FromSeconds(5));
        AwaitAssert(() =>
        {
            discovery.Tell(GetStats.Instance);
            var stats = ExpectMsg<Stats>();
            Assert.Equal(5, stats.Received);
            Assert.Equal(3, stats.TotalMalformed);
            Assert.Equal(1, stats.Unsolicited);
            Assert.Equal(1, stats.AnswersSent);
        }, TimeSpan.FromSeconds(5));
        _topology.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Its_own_query_coming_back_is_not_answered()
    {
        var discovery = Discovery();
        var client = CreateTestProbe();
        discovery.Tell(new Search(2, 0), client);
        client.ExpectMsg<SearchStarted>();
        var (_, query) = NextQuery();
        _channel.Deliver(DiscoveryDatagram.Encode(query), new IPEndPoint(IPAddress.Parse("192.0.2.10"), 48600));
        _channel.Deliver(DiscoveryDatagram.Encode(query with { QueryId = Guid.NewGuid() }), new IPEndPoint(IPAddress.Parse("192.0.2.10"), 48600));
        AwaitAssert(() =>
        {
            discovery.Tell(GetStats.Instance);
            Assert.Equal(2, ExpectMsg<Stats>().Queries);
        }, TimeSpan.FromSeconds(5));
        Assert.Empty(_channel.Answers);
    }

    [Fact]
    public void A_query_flood_is_answered_at_the_configured_rate_only()
    {
        var discovery = Sys.ActorOf(DiscoveryActor.Props(new DiscoverySettings { AnswerRate = 5 }, new DiscoveryIdentity("h1", "akka.tcp://vnet@192.0.2.10:4053"), _channel, Me, null));
        for (var i = 0; i < 50; i++)
            _channel.Deliver(DiscoveryDatagram.Encode(new DiscoveryQuery(Guid.NewGuid(), 1, MemberState.NotMember, "h9", "", null)), Querier);
        AwaitAssert(() =>
        {
            discovery.Tell(GetStats.Instance);
            var stats = ExpectMsg<Stats>();
            Assert.Equal(50, stats.Queries);
            Assert.Equal(45, stats.RateLimited);
        }, TimeSpan.FromSeconds(5));
        AwaitCondition(() => _channel.Answers.Count == 5, TimeSpan.FromSeconds(5));
    }
}
