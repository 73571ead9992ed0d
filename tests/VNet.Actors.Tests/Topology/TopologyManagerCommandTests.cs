using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using VNet.Actors.Topology;
using VNet.Messages;
using VNet.Messages.Commands;
using static VNet.Messages.TopologyProtocol;

namespace VNet.Actors.Tests.Topology;

/// <summary>The console's requests the topology manager answers: deleting a link, and loading a network file checked against the cluster.</summary>
public sealed class TopologyManagerCommandTests : TestKit
{
    private static readonly Config VirtualTime = ConfigurationFactory.ParseString(
        "akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"");

    private static readonly TopologySettings Settings = new() { Replicate = false, Settle = TimeSpan.FromSeconds(2), ReconcileInterval = TimeSpan.FromSeconds(1) };

    public TopologyManagerCommandTests() : base(VirtualTime)
    {
    }

    private static HostInfo Host(string name, int octet, params (string Vm, ulong Mac)[] vms) =>
        new(name, $"192.0.2.{octet}", [], [.. vms.Select(v => new VmInfo(v.Vm, [new VmNic(new MacAddress(v.Mac), v.Vm)], "running"))], 0)
        { NodeAddress = $"akka.tcp://vnet@192.0.2.{octet}:4053" };

    private (IActorRef Manager, TestProbe H1, TestProbe H2) Cluster()
    {
        var manager = Sys.ActorOf(TopologyManager.Props(Settings));
        TestProbe h1 = CreateTestProbe(), h2 = CreateTestProbe();
        manager.Tell(new HostAnnounce(Host("h1", 11, ("a", 0x020000000101), ("c", 0x020000000301))), h1);
        manager.Tell(new HostAnnounce(Host("h2", 12, ("b", 0x020000000201), ("d", 0x020000000401))), h2);
        return (manager, h1, h2);
    }

    /// <summary>Each host reports its end of <paramref name="made"/> running, as a HostActor does once its data plane started.</summary>
    private static void EndsRun(IActorRef manager, LinkSpec made, TestProbe h1, TestProbe h2)
    {
        foreach (var (end, host) in made.Endpoints.Zip([h1, h2]))
            manager.Tell(new LinkReport(made.Id, made.Attempt, new LinkEndState(end.Host, end.Vm, LinkStatus.Established, made.Protocol, 0, 1434, "fake transport", null)), host);
    }

    private static NetworkDefinition Network(params (string Id, string From, string To, int Line)[] links) =>
        new("test", [new NetworkVm("a", new MacAddress(0x020000000101), null) { Line = 2, Column = 3 }, new NetworkVm("b", new MacAddress(0x020000000201), null) { Line = 3, Column = 3 },
                     new NetworkVm("c", new MacAddress(0x020000000301), null) { Line = 4, Column = 3 }, new NetworkVm("d", new MacAddress(0x020000000401), null) { Line = 5, Column = 3 }],
            [.. links.Select(l => new NetworkLink(l.Id, LinkKind.RawP2P, [l.From, l.To], LinkOptions.Default, 0) { Line = l.Line, Column = 3 })]);

    [Fact]
    public void A_delete_is_answered_once_every_host_of_the_link_has_dropped_it()
    {
        var (manager, h1, h2) = Cluster();
        manager.Tell(new CreateLink("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default));
        var create = h1.ExpectMsg<LinkProtocol.Create>();
        h1.Reply(new LinkProtocol.Created(create.Link with { Protocol = 200 }, "h1"));
        EndsRun(manager, create.Link with { Protocol = 200 }, h1, h2);
        ExpectMsg<LinkCreated>();

        manager.Tell(new DeleteLink("l1"));
        Assert.Equal("l1", h1.ExpectMsg<LinkProtocol.Delete>().LinkId);
        Assert.Equal("l1", h2.ExpectMsg<LinkProtocol.Delete>().LinkId);
        h1.Reply(new LinkProtocol.Deleted("l1", true));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // h2 has not dropped it yet
        h2.Reply(new LinkProtocol.Deleted("l1", true));
        Assert.Equal("l1", ExpectMsg<LinkDeleted>().Id);
        manager.Tell(new DeleteLink("l1"));
        Assert.Equal("no link 'l1' (see `vnet link show`)", ExpectMsg<LinkRejected>().Problems.Single());
    }

    [Fact]
    public void A_network_that_does_not_fit_the_cluster_is_refused_whole_with_every_problem_located()
    {
        var (manager, h1, _) = Cluster();
        var network = Network(("x1", "a", "b", 7)) with
        {
            Vms = [new NetworkVm("a", new MacAddress(0x020000000199), null) { Line = 2, Column = 3 }, new NetworkVm("b", new MacAddress(0x020000000201), "h9") { Line = 3, Column = 3 },
                   new NetworkVm("ghost", new MacAddress(0x020000000909), null) { Line = 4, Column = 3 }],
        };
        manager.Tell(new ApplyNetwork("net.xml", network, DryRun: false));
        var problems = ExpectMsg<NetworkRejected>().FileProblems;
        Assert.Equal(["net.xml:2:3: VM a has MAC 02:00:00:00:01:01 in the cluster, the file says 02:00:00:00:01:99",
                      "net.xml:3:3: VM b is pinned to unknown host 'h9' (hosts: h1, h2)",
                      "net.xml:4:3: unknown VM 'ghost': no host in the cluster offers it"], problems.Select(p => p.ToString()).ToArray());
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // nothing was applied

        manager.Tell(new ApplyNetwork("net.xml", Network(("x1", "a", "b", 7)), DryRun: true));
        var dry = ExpectMsg<NetworkLoaded>();
        Assert.Equal((true, 1, 0), (dry.DryRun, dry.Checked, dry.Links.Length));
        h1.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_link_of_a_load_that_fails_takes_back_the_links_the_load_created()
    {
        var (manager, h1, h2) = Cluster();
        manager.Tell(new ApplyNetwork("net.xml", Network(("x1", "a", "b", 7), ("x2", "c", "d", 8)), DryRun: false));
        var first = h1.ExpectMsg<LinkProtocol.Create>();
        Assert.Equal("x1", first.Link.Id);
        h1.Reply(new LinkProtocol.Created(first.Link with { Protocol = 200 }, "h1"));
        EndsRun(manager, first.Link with { Protocol = 200 }, h1, h2);
        var second = h1.ExpectMsg<LinkProtocol.Create>();
        Assert.Equal("x2", second.Link.Id);
        h1.Reply(new LinkProtocol.CreateFailed("x2", "no free protocol number"));
        // The failed link is dropped everywhere; then the one the load made is deleted, and the hosts say so.
        Assert.Equal("x2", h1.ExpectMsg<LinkProtocol.Delete>().LinkId);
        Assert.Equal("x2", h2.ExpectMsg<LinkProtocol.Delete>().LinkId);
        Assert.Equal("x1", h1.ExpectMsg<LinkProtocol.Delete>().LinkId);
        h1.Reply(new LinkProtocol.Deleted("x1", true));
        Assert.Equal("x1", h2.ExpectMsg<LinkProtocol.Delete>().LinkId);
        h2.Reply(new LinkProtocol.Deleted("x1", true));

        var problem = ExpectMsg<NetworkRejected>().FileProblems.Single();
        Assert.Equal("net.xml:8:3: link x2 could not be created: no free protocol number; the 1 link(s) this load had created were deleted again", problem.ToString());
        manager.Tell(new GetLinks());
        Assert.Empty(ExpectMsg<LinkList>().Links);
    }
}
