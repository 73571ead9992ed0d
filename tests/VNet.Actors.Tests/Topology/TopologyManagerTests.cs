using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using VNet.Actors.Topology;
using VNet.Messages;
using VNet.Messages.Commands;
using static VNet.Messages.TopologyProtocol;

namespace VNet.Actors.Tests.Topology;

public sealed class TopologyManagerTests : TestKit
{
    private static readonly Config VirtualTime = ConfigurationFactory.ParseString(
        "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"");

    private static readonly TopologySettings Settings = new() { Replicate = false, Settle = TimeSpan.FromSeconds(2), ReconcileInterval = TimeSpan.FromSeconds(1) };

    public TopologyManagerTests() : base(VirtualTime)
    {
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private static HostInfo Host(string name, int octet, double load, params (string Vm, ulong Mac)[] vms) =>
        new(name, $"192.0.2.{octet}", [], [.. vms.Select(v => new VmInfo(v.Vm, [new VmNic(new MacAddress(v.Mac), v.Vm)], "running"))], load)
        { NodeAddress = $"akka.tcp://vnet@192.0.2.{octet}:4053" };

    private IActorRef Manager() => Sys.ActorOf(TopologyManager.Props(Settings));

    private static void Announce(IActorRef manager, TestProbe host, HostInfo info) => manager.Tell(new HostAnnounce(info), host);

    /// <summary>Each host reports its end of <paramref name="made"/> running, as a HostActor does once its data plane started.</summary>
    private static void EndsRun(IActorRef manager, LinkSpec made, params TestProbe[] hosts)
    {
        for (var i = 0; i < hosts.Length; i++)
        {
            var end = made.Endpoints[i];
            manager.Tell(new LinkReport(made.Id, made.Attempt, new LinkEndState(end.Host, end.Vm, LinkStatus.Established, made.Protocol, end.Port, 1434, "fake transport", null)), hosts[i]);
        }
    }

    [Fact]
    public void A_link_goes_to_the_least_loaded_host_offering_the_vm_and_its_host_makes_it()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe(), h3 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0.9, ("web", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0.1, ("web", 0x020000000201)));
        Announce(manager, h3, Host("h3", 13, 0.5, ("db", 0x020000000301)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["web", "db"], LinkOptions.Default));

        var create = h2.ExpectMsg<LinkProtocol.Create>();
        Assert.Equal(["web@h2", "db@h3"], create.Link.Endpoints.Select(e => $"{e.Vm}@{e.Host}").ToArray());
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var made = create.Link with { Protocol = 200 };
        h2.Reply(new LinkProtocol.Created(made, "h2"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the initiator's end alone is not the link
        EndsRun(manager, made, h2, h3);
        Assert.Equal(200, ExpectMsg<LinkCreated>().Link.Link.Protocol);

        manager.Tell(new GetLinks());
        var link = ExpectMsg<LinkList>().Links.Single();
        Assert.Equal((LinkPhase.Established, 200), (link.Phase, link.Link.Protocol));
        manager.Tell(new GetHosts());
        Assert.Equal([("h1", 0), ("h2", 1), ("h3", 1)], ExpectMsg<HostList>().Hosts.Select(h => (h.Info.Name, h.Links)).ToArray());
    }

    [Fact]
    public void Auth_is_kept_for_the_life_of_a_link_and_encrypt_needs_it()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        var off = LinkOptions.Default with { Authenticate = false };
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], off));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        Assert.False(create.Link.Options.Authenticate);
        h1.Reply(new LinkProtocol.Created(create.Link with { Protocol = 200 }, "h1"));
        EndsRun(manager, create.Link with { Protocol = 200 }, h1, h2);
        ExpectMsg<LinkCreated>();

        // A change names only options a running link can change: auth is not one of them.
        manager.Tell(new SetLinkOptions("l1", new LinkOptionChanges { Encrypt = true }));
        Assert.Contains("encrypt needs authentication", ExpectMsg<LinkRejected>().Problems.Single());
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Two_changes_of_a_link_sent_at_once_both_hold_each_applied_on_the_options_the_other_left()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default with { DelayMs = 5 }));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        h1.Reply(new LinkProtocol.Created(create.Link with { Protocol = 200 }, "h1"));
        EndsRun(manager, create.Link with { Protocol = 200 }, h1, h2);
        ExpectMsg<LinkCreated>();

        manager.Tell(new SetLinkOptions("l1", new LinkOptionChanges { Dscp = 10 }));
        manager.Tell(new SetLinkOptions("l1", new LinkOptionChanges { LossPercent = 2 }));
        foreach (var host in new[] { h1, h2 })
        {
            Assert.Equal((10, 0.0, 5.0), Of(host.ExpectMsg<LinkProtocol.SetOptions>().Options));
            host.Reply(new LinkProtocol.StatusChanged("l1", LinkStatus.Established, null));
        }
        Assert.Equal((10, 0.0, 5.0), Of(ExpectMsg<LinkOptionsSet>().Link.Link.Options));
        foreach (var host in new[] { h1, h2 })
        {
            Assert.Equal((10, 2.0, 5.0), Of(host.ExpectMsg<LinkProtocol.SetOptions>().Options));
            host.Reply(new LinkProtocol.StatusChanged("l1", LinkStatus.Established, null));
        }
        Assert.Equal((10, 2.0, 5.0), Of(ExpectMsg<LinkOptionsSet>().Link.Link.Options));

        manager.Tell(new SetLinkOptions("nope", new LinkOptionChanges { Dscp = 1 }));
        Assert.Equal("no link 'nope' (see `vnet link show`)", ExpectMsg<LinkRejected>().Problems.Single());

        static (int, double, double) Of(LinkOptions o) => (o.Dscp, o.LossPercent, o.DelayMs);
    }

    [Fact]
    public void Encrypt_with_auth_off_is_a_problem_of_the_options()
    {
        Assert.Empty(LinkOptions.Default.Problems());
        Assert.Empty((LinkOptions.Default with { Authenticate = false }).Problems());
        Assert.Empty((LinkOptions.Default with { Encrypt = true }).Problems());
        Assert.Contains("--encrypt cannot be used on a link with --auth off", Assert.Single((LinkOptions.Default with { Encrypt = true, Authenticate = false }).Problems()));
    }

    [Fact]
    public void A_failed_creation_asked_by_a_user_leaves_no_desired_link()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        h1.ExpectMsg<LinkProtocol.Create>();
        h1.Reply(new LinkProtocol.CreateFailed("l1", "no free protocol number"));
        Assert.Equal("no free protocol number", ExpectMsg<LinkRejected>().Problems.Single());
        h1.ExpectMsg<LinkProtocol.Delete>();
        h2.ExpectMsg<LinkProtocol.Delete>();
        manager.Tell(new GetLinks());
        Assert.Empty(ExpectMsg<LinkList>().Links);
    }

    [Fact]
    public void A_restarted_host_gets_its_links_back_without_a_command()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        h1.Reply(new LinkProtocol.Created(create.Link with { Protocol = 150 }, "h1"));
        EndsRun(manager, create.Link with { Protocol = 150 }, h1, h2);
        ExpectMsg<LinkCreated>();

        // h2's vnetd restarts: a new HostActor announces the same host. It has lost its links.
        var h2Again = CreateTestProbe();
        Announce(manager, h2Again, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new GetLinks());
        var down = ExpectMsg<LinkList>().Links.Single();
        Assert.Equal(LinkPhase.WaitingForHost, down.Phase);
        Assert.Contains("h2 restarted", down.Detail);

        // Nothing happens before the host has settled; then both ends drop the link and h1 makes it anew.
        Clock.Advance(TimeSpan.FromSeconds(1));
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var verifyOrDelete = h1.ExpectMsg<object>(TimeSpan.FromSeconds(3));
        if (verifyOrDelete is LinkProtocol.GetTable)
        {
            h1.Reply(new LinkProtocol.Table("h1", [new LinkProtocol.Row(create.Link with { Protocol = 150 }, LinkStatus.Established, null, DirectionCounters.Empty, DirectionCounters.Empty, 1434)]));
            h2Again.ExpectMsg<LinkProtocol.GetTable>();
            h2Again.Reply(new LinkProtocol.Table("h2", []));
            verifyOrDelete = h1.ExpectMsg<object>(TimeSpan.FromSeconds(3));
        }
        Assert.IsType<LinkProtocol.Delete>(verifyOrDelete);
        h1.Reply(new LinkProtocol.Deleted("l1", true));
        h2Again.ExpectMsg<LinkProtocol.Delete>();
        h2Again.Reply(new LinkProtocol.Deleted("l1", false));
        var again = h1.ExpectMsg<LinkProtocol.Create>();
        Assert.Equal(0, again.Link.Protocol);
        Assert.Equal(["h1", "h2"], again.Link.Endpoints.Select(e => e.Host).ToArray());
        Assert.NotEqual(create.Link.Attempt, again.Link.Attempt);
        h1.Reply(new LinkProtocol.Created(again.Link with { Protocol = 151 }, "h1"));
        EndsRun(manager, again.Link with { Protocol = 151 }, h1, h2Again);

        AwaitAssert(() =>
        {
            manager.Tell(new GetLinks());
            var back = ExpectMsg<LinkList>().Links.Single();
            Assert.Equal((LinkPhase.Established, 151), (back.Phase, back.Link.Protocol));
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_link_whose_hosts_still_run_it_is_only_checked_not_remade()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        var made = create.Link with { Protocol = 150 };
        h1.Reply(new LinkProtocol.Created(made, "h1"));
        EndsRun(manager, made, h1, h2);
        ExpectMsg<LinkCreated>();

        // h2 reports the link failed; the manager checks both hosts' tables, finds it running on both
        // (its worker came back), and leaves it alone.
        manager.Tell(new LinkReport("l1", made.Attempt, new LinkEndState("h2", "b", LinkStatus.Failed, 150, 0, 1434, "fake transport", "interface vanished")), h2);
        manager.Tell(new GetLinks());
        Assert.Equal(LinkPhase.BackingOff, ExpectMsg<LinkList>().Links.Single().Phase);
        Clock.Advance(TimeSpan.FromSeconds(3));
        h1.ExpectMsg<LinkProtocol.GetTable>();
        h1.Reply(new LinkProtocol.Table("h1", [new LinkProtocol.Row(made, LinkStatus.Established, null, DirectionCounters.Empty, DirectionCounters.Empty, 1500)]));
        h2.ExpectMsg<LinkProtocol.GetTable>();
        h2.Reply(new LinkProtocol.Table("h2", [new LinkProtocol.Row(made, LinkStatus.Established, null, DirectionCounters.Empty, DirectionCounters.Empty, 1500)]));
        AwaitAssert(() =>
        {
            manager.Tell(new GetLinks());
            Assert.Equal(LinkPhase.Established, ExpectMsg<LinkList>().Links.Single().Phase);
        }, TimeSpan.FromSeconds(3));
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void The_whole_state_of_a_link_holds_both_ends_as_they_reported()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.UdpP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        var made = create.Link with { Endpoints = [create.Link.Endpoints[0] with { Port = 47001 }, create.Link.Endpoints[1] with { Port = 47002 }] };
        h1.Reply(new LinkProtocol.Created(made, "h1"));
        manager.Tell(new LinkReport("l1", made.Attempt, new LinkEndState("h1", "a", LinkStatus.Established, 0, 47001, 1440, "udp socket", null)), h1);
        manager.Tell(new LinkReport("l1", made.Attempt, new LinkEndState("h2", "b", LinkStatus.Established, 0, 47002, 1430, "udp socket, gso", null)), h2);
        ExpectMsg<LinkCreated>();

        manager.Tell(new GetLinks());
        var state = ExpectMsg<LinkList>().Links.Single();
        Assert.Equal(LinkPhase.Established, state.Phase);
        Assert.Equal(new[] { ("h1", 47001, 1440, "udp socket"), ("h2", 47002, 1430, "udp socket, gso") },
            state.Ends.Select(e => (e.Host, e.Port, e.VmMtu, e.Transport!)).ToArray());
        Assert.Equal(1430, state.VmMtu);
        Assert.False(state.Link.HasKey);

        // h2's worker restarts: the link is degraded, and says which end and why.
        manager.Tell(new LinkReport("l1", made.Attempt, new LinkEndState("h2", "b", LinkStatus.Restarting, 0, 47002, 1430, "udp socket, gso", "socket error")), h2);
        manager.Tell(new GetLinks());
        var degraded = ExpectMsg<LinkList>().Links.Single();
        Assert.Equal((LinkPhase.Degraded, LinkStatus.Restarting, "h2: socket error"), (degraded.Phase, degraded.Ends[1].Status, degraded.Detail));
    }

    [Fact]
    public void An_end_that_fails_while_starting_fails_the_creation_and_leaves_nothing()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        var made = create.Link with { Protocol = 200 };
        h1.Reply(new LinkProtocol.Created(made, "h1"));
        EndsRun(manager, made, h1);
        manager.Tell(new LinkReport("l1", made.Attempt, new LinkEndState("h2", "b", LinkStatus.Failed, 200, 0, 0, null, "no interface vm-b")), h2);

        Assert.Equal("h2: no interface vm-b", ExpectMsg<LinkRejected>().Problems.Single());
        h1.ExpectMsg<LinkProtocol.Delete>();
        h2.ExpectMsg<LinkProtocol.Delete>();
        manager.Tell(new GetLinks());
        Assert.Empty(ExpectMsg<LinkList>().Links);
    }

    [Fact]
    public void An_end_that_never_reports_times_the_creation_out()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        var made = create.Link with { Protocol = 200 };
        h1.Reply(new LinkProtocol.Created(made, "h1"));
        EndsRun(manager, made, h1);
        AwaitAssert(() =>
        {
            manager.Tell(new GetLinks());
            Assert.Equal(LinkPhase.Establishing, ExpectMsg<LinkList>().Links.Single().Phase);
        }, TimeSpan.FromSeconds(3));

        Clock.Advance(Settings.StartTimeout - TimeSpan.FromSeconds(1));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(Settings.ReconcileInterval + Settings.ReconcileInterval);
        Assert.Contains("the end on host h2 did not start", ExpectMsg<LinkRejected>().Problems.Single());
        h1.ExpectMsg<LinkProtocol.Delete>();
    }

    [Fact]
    public void A_host_lost_while_the_link_is_made_fails_the_creation_with_the_host_named()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        h1.ExpectMsg<LinkProtocol.Create>();

        // h2's vnetd restarts while h1 negotiates.
        Announce(manager, CreateTestProbe(), Host("h2", 12, 0, ("b", 0x020000000201)));
        Assert.Equal("host h2 restarted", ExpectMsg<LinkRejected>().Problems.Single());
        manager.Tell(new GetLinks());
        Assert.Empty(ExpectMsg<LinkList>().Links);
    }

    [Fact]
    public void Delete_while_negotiating_answers_the_creator_and_the_deleter_once_the_hosts_dropped_it()
    {
        var manager = Manager();
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe(), creator = CreateTestProbe();
        Announce(manager, h1, Host("h1", 11, 0, ("a", 0x020000000101)));
        Announce(manager, h2, Host("h2", 12, 0, ("b", 0x020000000201)));
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default), creator);
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        var negotiator = h1.LastSender;

        manager.Tell(new DeleteLink("l1"));
        Assert.Contains("deleted while being created", creator.ExpectMsg<LinkRejected>().Problems.Single());
        h1.ExpectMsg<LinkProtocol.Delete>();
        h1.Reply(new LinkProtocol.Deleted("l1", true));
        h2.ExpectMsg<LinkProtocol.Delete>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // h2 has not answered yet
        h2.Reply(new LinkProtocol.Deleted("l1", false));
        Assert.Equal("l1", ExpectMsg<LinkDeleted>().Id);

        // The responder made its end after the delete reached it: its report gets it dropped.
        negotiator.Tell(new LinkProtocol.CreateFailed("l1", "link l1 was deleted while negotiating"));
        manager.Tell(new LinkReport("l1", create.Link.Attempt, new LinkEndState("h2", "b", LinkStatus.Established, 200, 0, 1434, "fake transport", null)), h2);
        h2.ExpectMsg<LinkProtocol.Delete>();
        manager.Tell(new GetLinks());
        Assert.Empty(ExpectMsg<LinkList>().Links);
        creator.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
