using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using VNet.Actors.Hosts;
using VNet.Actors.Negotiation;
using VNet.Capture.Inventory;
using VNet.Messages;
using static VNet.Actors.Tests.Negotiation.NegotiationFixtures;
using Msg = VNet.Messages.NegotiationProtocol;

namespace VNet.Actors.Tests.Hosts;

/// <summary>
/// Two real <see cref="HostActor"/>s in one ActorSystem, each with its own protocol-number table,
/// negotiating through a fake pub-sub mediator, with in-memory data planes.
/// </summary>
public sealed class HostActorNegotiationTests : Akka.TestKit.Xunit2.TestKit
{
    private const int VmsPerHost = 50;

    private static readonly NegotiationLimits ShortTimeout = new(16, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));

    private readonly IActorRef _mediator;
    private readonly TestProbe _topology;

    public HostActorNegotiationTests()
    {
        _mediator = Sys.ActorOf(FakePubSubMediator.Props(), "mediator");
        _topology = CreateTestProbe("topology");
    }

    private sealed record Host(string Name, IActorRef Actor, ProtocolNumberTable Table, FakeDataPlaneFactory DataPlanes);

    private Host StartHost(char which, NegotiationLimits? limits = null, ProtocolNumberTable? table = null, IEnumerable<int>? vmIndexes = null)
    {
        var name = which == 'a' ? HostA : HostB;
        var address = which == 'a' ? AddressA : AddressB;
        table ??= new ProtocolNumberTable();
        var vms = (vmIndexes ?? Enumerable.Range(1, VmsPerHost))
            .Select(i => new VmInfo($"{which}{i}", [new VmNic(Mac(which, i), $"veth-{which}{i}")], "running"))
            .ToImmutableArray();
        var settings = new HostSettings(name, address)
        {
            Negotiation = limits ?? NegotiationLimits.Default,
            AnnounceInterval = TimeSpan.FromMinutes(10),
        };
        var dataPlanes = new FakeDataPlaneFactory();
        var actor = Sys.ActorOf(HostActor.Props(settings, table, new StaticVmProvider(vms),
            () => new HostInfo(name, address, [], vms, 0.5), dataPlanes, _mediator, _topology.Ref, new LockedRandom(which)), name);
        return new Host(name, actor, table, dataPlanes);
    }

    /// <summary>Waits until <paramref name="count"/> hosts have subscribed to the negotiation topic.</summary>
    private Task AwaitSubscribersAsync(int count) =>
        AwaitAssertAsync(async () => Assert.Equal(count, (await _mediator.Ask<ImmutableArray<IActorRef>>(new FakePubSubMediator.GetSubscribers(Msg.Topic))).Length),
            TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));

    private async Task<(Host A, Host B)> StartTwoHostsAsync(NegotiationLimits? limits = null, ProtocolNumberTable? tableA = null, ProtocolNumberTable? tableB = null)
    {
        var a = StartHost('a', limits, tableA);
        var b = StartHost('b', limits, tableB);
        await AwaitSubscribersAsync(2);
        return (a, b);
    }

    private static Task<LinkProtocol.Table> TableOfAsync(Host host) =>
        host.Actor.Ask<LinkProtocol.Table>(LinkProtocol.GetTable.Instance, TimeSpan.FromSeconds(3));

    [Fact]
    public async Task Create_on_the_initiating_host_ends_in_created_with_the_same_number_in_both_tables()
    {
        var (a, b) = await StartTwoHostsAsync();
        var attempt = Guid.NewGuid();

        a.Actor.Tell(new LinkProtocol.Create(Link() with { Attempt = attempt }), TestActor);

        var created = ExpectMsg<LinkProtocol.Created>(TimeSpan.FromSeconds(5));
        var p = created.Link.Protocol;
        Assert.Equal(attempt, created.Link.Attempt);
        Assert.Equal(HostA, created.Host);
        Assert.Equal("link-1", created.Link.Id);
        Assert.InRange(p, 143, 252);
        Assert.Equal("veth-a1", created.Link.EndpointOn(HostA)!.HostInterface);
        Assert.Equal(new[] { (p, "link-1") }, Entries(a.Table.InUse()));
        AwaitAssert(() => Assert.Equal(new[] { (p, "link-1") }, Entries(b.Table.InUse())));
        Assert.Empty(Leftovers(a.Table));
        Assert.Empty(Leftovers(b.Table));

        // Both ends run a data plane for that number, and each host lists the link as established.
        AwaitAssert(() => Assert.Equal(new[] { (HostA, p), (HostB, p) },
            a.DataPlanes.Created.Concat(b.DataPlanes.Created).Select(d => (d.Local.Host, d.Link.Protocol)).ToArray()));
        Assert.Equal("veth-b1", b.DataPlanes.Created.Single().Local.HostInterface);
        // The initiator chose a 32-byte key and the responder received the same one inside the proposal;
        // each end is a different sender of it (its endpoint's index), so their nonces never collide.
        var planeA = a.DataPlanes.Created.Single();
        var planeB = b.DataPlanes.Created.Single();
        Assert.True(planeA.Link.HasKey);
        Assert.Equal(planeA.Link.Key.ToArray(), planeB.Link.Key.ToArray());
        Assert.Equal((0u, 1u), (planeA.Security.LocalSender, planeB.Security.LocalSender));
        Assert.DoesNotContain(Convert.ToHexString(planeA.Link.Key.AsSpan()), created.Link.ToString(), StringComparison.OrdinalIgnoreCase);
        await AwaitAssertAsync(async () =>
        {
            var row = Assert.Single((await TableOfAsync(b)).Rows);
            Assert.Equal((p, LinkStatus.Established, 1500 - 20 - 16 - 16 - 14), (row.Link.Protocol, row.Status, row.VmMtu)); // IPv4, capsule header, tag, Ethernet
        });
        // Both ends report to the manager: the attempt that made them, the number, the VM MTU and the transport.
        var reports = new[] { _topology.FishForMessage<TopologyProtocol.LinkReport>(_ => true), _topology.FishForMessage<TopologyProtocol.LinkReport>(_ => true) };
        Assert.Equal(new[] { HostA, HostB }, reports.Select(r => r.End.Host).Order());
        Assert.Equal(new[] { "a1", "b1" }, reports.Select(r => r.End.Vm).Order());
        Assert.All(reports, r => Assert.Equal(("link-1", attempt, LinkStatus.Established, p, 1500 - 20 - 16 - 16 - 14), (r.LinkId, r.Attempt, r.End.Status, r.End.Protocol, r.End.VmMtu)));
        Assert.All(reports, r => Assert.False(string.IsNullOrEmpty(r.End.Transport)));
    }

    [Fact]
    public async Task Fifty_concurrent_creates_all_succeed_with_distinct_numbers_equal_on_both_hosts()
    {
        // B already uses every third number: about a third of A's first picks are taken there and
        // must go through NOK and a counter-proposal.
        var tableB = new ProtocolNumberTable();
        var preoccupied = Enumerable.Range(143, 110).Where(p => p % 3 == 0).ToHashSet();
        foreach (var p in preoccupied) Occupy(tableB, p, $"old-{p}");
        var (a, b) = await StartTwoHostsAsync(tableB: tableB);

        for (var i = 1; i <= VmsPerHost; i++) a.Actor.Tell(new LinkProtocol.Create(Link($"link-{i}", i)), TestActor);
        var replies = ReceiveN(VmsPerHost, TimeSpan.FromSeconds(20));

        var failures = replies.OfType<LinkProtocol.CreateFailed>().Select(f => $"{f.LinkId}: {f.Reason}").ToList();
        Assert.Empty(failures);
        var created = replies.Cast<LinkProtocol.Created>().ToDictionary(c => c.Link.Id, c => c.Link.Protocol);
        Assert.Equal(VmsPerHost, created.Count);
        Assert.Equal(VmsPerHost, created.Values.Distinct().Count());
        Assert.DoesNotContain(created.Values, p => preoccupied.Contains(p));

        var onA = a.Table.InUse();
        Assert.Equal(created.OrderBy(kv => kv.Value).Select(kv => (kv.Value, kv.Key)), Entries(onA));
        AwaitAssert(() =>
        {
            var onB = b.Table.InUse().Where(kv => !kv.Value.StartsWith("old-")).ToDictionary(kv => kv.Value, kv => kv.Key);
            Assert.Equal(created.OrderBy(kv => kv.Key), onB.OrderBy(kv => kv.Key));
        }, TimeSpan.FromSeconds(5));
        Assert.Equal(preoccupied.Order(), b.Table.InUse().Where(kv => kv.Value.StartsWith("old-")).Select(kv => kv.Key));
        Assert.Empty(Leftovers(a.Table));
        AwaitAssert(() => Assert.Empty(Leftovers(b.Table)));

        // NOKs did happen: some first proposals (published on the topic) hit B's used numbers and
        // those links ended on another number.
        var firstProposals = (await _mediator.Ask<ImmutableArray<object>>(FakePubSubMediator.GetPublished.Instance))
            .OfType<Msg.Propose>().Where(p => p.Round == 1).GroupBy(p => p.Link.Id).ToDictionary(g => g.Key, g => g.First().Protocol);
        Assert.Equal(VmsPerHost, firstProposals.Count);
        var countered = firstProposals.Where(kv => preoccupied.Contains(kv.Value)).ToList();
        Assert.NotEmpty(countered);
        Assert.All(countered, kv => Assert.NotEqual(kv.Value, created[kv.Key]));
    }

    [Fact]
    public async Task Exhausted_initiating_host_answers_create_failed_naming_the_exhaustion_and_reserves_nothing()
    {
        var tableA = new ProtocolNumberTable();
        for (var p = 143; p <= 252; p++) Occupy(tableA, p, $"old-{p}");
        var (a, b) = await StartTwoHostsAsync(tableA: tableA);

        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);

        var failed = ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal("link-1", failed.LinkId);
        Assert.Contains("no free protocol number", failed.Reason);
        Assert.Contains("all 110", failed.Reason);
        Assert.Empty(Leftovers(a.Table));
        Assert.Equal(110, a.Table.InUse().Count);
        Assert.DoesNotContain(a.Table.InUse().Values, v => v == "link-1");
        Assert.Empty((await TableOfAsync(a)).Rows);
        Assert.Empty(Leftovers(b.Table));
        Assert.Empty(b.Table.InUse());
        Assert.Empty(a.DataPlanes.Created);
        Assert.Empty(b.DataPlanes.Created);
    }

    [Fact]
    public async Task Link_to_a_host_that_never_answers_fails_after_the_timeout_and_leaves_nothing()
    {
        var a = StartHost('a', ShortTimeout);
        await AwaitSubscribersAsync(1);
        var clock = Stopwatch.StartNew();

        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);

        var failed = ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal("link-1", failed.LinkId);
        Assert.Contains($"no answer from host {HostB}", failed.Reason);
        Assert.Empty(a.Table.Reserved(DateTime.UtcNow));
        Assert.Empty(Leftovers(a.Table)); // the 30 s reservation was released, not left to expire
        Assert.Empty(a.Table.InUse());
        Assert.Empty((await TableOfAsync(a)).Rows);
        Assert.Empty(a.DataPlanes.Created);

        // Nothing of the failed attempt is left in the host either: once B is there the same link is made.
        var b = StartHost('b', ShortTimeout);
        await AwaitSubscribersAsync(2);
        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);
        var created = ExpectMsg<LinkProtocol.Created>(TimeSpan.FromSeconds(5));
        AwaitAssert(() => Assert.Equal(created.Link.Protocol, b.Table.InUse().Single().Key));
    }

    [Fact]
    public async Task Delete_frees_the_number_on_the_host()
    {
        var (a, b) = await StartTwoHostsAsync();
        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);
        var p = ExpectMsg<LinkProtocol.Created>(TimeSpan.FromSeconds(5)).Link.Protocol;
        AwaitAssert(() => Assert.Equal(new[] { (p, "link-1") }, Entries(b.Table.InUse())));

        a.Actor.Tell(new LinkProtocol.Delete("link-1"), TestActor);

        Assert.Equal(new LinkProtocol.Deleted("link-1", true), ExpectMsg<LinkProtocol.Deleted>());
        Assert.Empty(a.Table.InUse());
        Assert.True(a.Table.IsFree(p, DateTime.UtcNow));
        Assert.Empty((await TableOfAsync(a)).Rows);
        AwaitAssert(() => Assert.True(a.DataPlanes.Created.Single().Disposed));
        // The delete is per host: B keeps its end until it is told too.
        Assert.Equal(new[] { (p, "link-1") }, Entries(b.Table.InUse()));

        b.Actor.Tell(new LinkProtocol.Delete("link-1"), TestActor);
        Assert.Equal(new LinkProtocol.Deleted("link-1", true), ExpectMsg<LinkProtocol.Deleted>());
        Assert.Empty(b.Table.InUse());
        AwaitAssert(() => Assert.True(b.DataPlanes.Created.Single().Disposed));

        a.Actor.Tell(new LinkProtocol.Delete("link-1"), TestActor);
        Assert.Equal(new LinkProtocol.Deleted("link-1", false), ExpectMsg<LinkProtocol.Deleted>());
    }

    [Fact]
    public async Task Proposal_for_a_vm_the_responder_does_not_have_is_refused_and_reported_to_the_requester()
    {
        var a = StartHost('a');
        var b = StartHost('b', vmIndexes: [1]);
        await AwaitSubscribersAsync(2);

        a.Actor.Tell(new LinkProtocol.Create(Link("link-7", 7)), TestActor);

        var failed = ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal("link-7", failed.LinkId);
        Assert.Contains($"host {HostB} refused", failed.Reason);
        Assert.Contains(Mac('b', 7).ToString(), failed.Reason);
        Assert.Empty(Leftovers(a.Table));
        Assert.Empty(a.Table.InUse());
        Assert.Empty(Leftovers(b.Table));
        Assert.Empty(b.Table.InUse());
    }

    [Fact]
    public async Task Create_of_a_link_already_being_made_is_rejected()
    {
        var a = StartHost('a', ShortTimeout);
        await AwaitSubscribersAsync(1);
        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);

        a.Actor.Tell(new LinkProtocol.Create(Link()), TestActor);

        var first = ExpectMsg<LinkProtocol.CreateFailed>();
        Assert.Contains("already exists", first.Reason);
        Assert.Contains("no answer", ExpectMsg<LinkProtocol.CreateFailed>(TimeSpan.FromSeconds(5)).Reason);
    }
    [Fact]
    public async Task Link_deleted_on_both_hosts_can_be_created_again_at_once_without_disturbing_other_links()
    {
        var (a, b) = await StartTwoHostsAsync();
        a.Actor.Tell(new LinkProtocol.Create(Link("link-1", 1)), TestActor);
        a.Actor.Tell(new LinkProtocol.Create(Link("link-2", 2)), TestActor);
        var other = ReceiveN(2, TimeSpan.FromSeconds(5)).Cast<LinkProtocol.Created>().Single(c => c.Link.Id == "link-2").Link.Protocol;
        await AwaitAssertAsync(() => Assert.Equal(2, b.Table.InUse().Count));

        // The old LinkActors are still stopping (their workers join their threads) when the new
        // negotiation agrees: the new ones must not collide with them.
        a.Actor.Tell(new LinkProtocol.Delete("link-1"), TestActor);
        b.Actor.Tell(new LinkProtocol.Delete("link-1"), TestActor);
        a.Actor.Tell(new LinkProtocol.Create(Link("link-1", 1)), TestActor);

        Assert.True(ExpectMsg<LinkProtocol.Deleted>().Existed);
        Assert.True(ExpectMsg<LinkProtocol.Deleted>().Existed);
        var again = ExpectMsg<LinkProtocol.Created>(TimeSpan.FromSeconds(5)).Link.Protocol;
        var expected = new[] { (again, "link-1"), (other, "link-2") }.OrderBy(e => e.Item1).ToArray();
        Assert.Equal(expected, Entries(a.Table.InUse()));
        await AwaitAssertAsync(() => Assert.Equal(expected, Entries(b.Table.InUse())));
        foreach (var host in new[] { a, b })
            await AwaitAssertAsync(async () => Assert.Equal(
                new[] { ("link-1", again, LinkStatus.Established), ("link-2", other, LinkStatus.Established) },
                (await TableOfAsync(host)).Rows.Select(r => (r.Link.Id, r.Link.Protocol, r.Status)).ToArray()));
    }
}
