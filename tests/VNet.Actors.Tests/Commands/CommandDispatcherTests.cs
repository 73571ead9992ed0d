using System.Collections.Immutable;
using System.Text;
using Akka.TestKit.Xunit2;
using VNet.Actors.Commands;
using VNet.Actors.Hosts;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Tests.Commands;

/// <summary>
/// The dispatcher carries typed requests to the actor that owns their state and returns that actor's
/// reply, checked to be one of the request's.
/// </summary>
public sealed class CommandDispatcherTests : TestKit
{
    private readonly Akka.TestKit.TestProbe _topology;
    private readonly Akka.TestKit.TestProbe _host;
    private readonly CommandDispatcher _dispatcher;

    public CommandDispatcherTests()
    {
        _topology = CreateTestProbe();
        _host = CreateTestProbe();
        _dispatcher = new CommandDispatcher(new CommandContext(Sys, _host.Ref, _topology.Ref, "h1") { AskTimeout = TimeSpan.FromSeconds(3) }, discovery: null);
    }

    private static LinkState State(string id) => new(new LinkSpec(id, LinkKind.RawP2P, [], LinkOptions.Default), LinkPhase.Established, null, []);

    [Fact]
    public async Task A_link_request_goes_to_the_topology_manager_and_its_reply_comes_back()
    {
        var create = new CreateLink("l1", LinkKind.RawP2P, ["vm1", "vm2"], LinkOptions.Default);
        var asked = _dispatcher.AskAsync(create);
        Assert.Same(create, _topology.ExpectMsg<CreateLink>());
        _topology.Reply(new LinkCreated(State("l1")));
        Assert.Equal("l1", Assert.IsType<LinkCreated>(await asked).Link.Link.Id);

        var set = _dispatcher.AskAsync(new SetLinkOptions("l1", new LinkOptionChanges { Dscp = 10 }));
        Assert.Equal(10, _topology.ExpectMsg<SetLinkOptions>().Changes.Dscp);
        _topology.Reply(new LinkRejected("l1", ["no link 'l1'"]));
        Assert.Equal("no link 'l1'", Assert.IsType<LinkRejected>(await set).Problems.Single());
    }

    [Fact]
    public async Task A_reply_that_is_not_one_of_the_requests_is_an_error_not_an_answer()
    {
        var asked = _dispatcher.ExecuteAsync(new DeleteLink("l1"));
        _topology.ExpectMsg<DeleteLink>();
        _topology.Reply(new LinkCreated(State("l1")));
        var e = await Assert.ThrowsAsync<CommandException>(() => asked);
        Assert.Contains("unexpected answer to delete-link", e.Message);
    }

    [Fact]
    public async Task A_topology_manager_that_does_not_answer_is_a_timeout_naming_the_command()
    {
        var e = await Assert.ThrowsAsync<CommandException>(() => _dispatcher.AskAsync(new GetLinks("l1")));
        Assert.Contains("link show: no answer within 3 s", e.Message);
        Assert.Equal(ExitCodes.Failed, e.Exit);
    }

    [Fact]
    public async Task Host_requests_are_answered_by_the_nodes_host_actor_without_the_links_key()
    {
        var info = _dispatcher.AskAsync(GetHostInfo.Instance);
        _host.ExpectMsg<HostActor.GetInfo>();
        var host = new HostInfo("h1", "192.0.2.10", [], [], 0.5);
        _host.Reply(host);
        Assert.Same(host, Assert.IsType<HostDescribed>(await info).Info);

        var links = _dispatcher.AskAsync(GetHostLinks.Instance);
        _host.ExpectMsg<LinkProtocol.GetTable>();
        var spec = new LinkSpec("l1", LinkKind.RawP2P, [], LinkOptions.Default) { Key = [.. new byte[LinkSpec.KeyLength]] };
        _host.Reply(new LinkProtocol.Table("h1", [new LinkProtocol.Row(spec, LinkStatus.Established, null, DirectionCounters.Empty, DirectionCounters.Empty, 1462)]));
        var row = Assert.IsType<HostLinks>(await links).Links.Single();
        Assert.Equal((1462, false), (row.VmMtu, row.Link.HasKey));
        _topology.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_network_file_is_parsed_on_the_node_and_only_the_parsed_network_reaches_the_topology_manager()
    {
        const string xml = """
            <network>
              <vm name="vm1"><nic mac="02:00:00:00:01:01"/></vm>
              <vm name="vm2"><nic mac="02:00:00:00:02:01"/></vm>
              <link id="l1"><end vm="vm1"/><end vm="vm2"/></link>
            </network>
            """;
        var load = _dispatcher.AskAsync(new LoadNetwork("net.xml", Encoding.UTF8.GetBytes(xml), DryRun: true));
        var apply = _topology.ExpectMsg<ApplyNetwork>();
        Assert.Equal(("net.xml", true, "l1", 4), (apply.Path, apply.DryRun, apply.Network.Links.Single().Id, apply.Network.Links.Single().Line));
        _topology.Reply(new NetworkLoaded("net.xml", true, [], 1));
        Assert.IsType<NetworkLoaded>(await load);

        var bad = await _dispatcher.AskAsync(new LoadNetwork("bad.xml", Encoding.UTF8.GetBytes("<network>\n  <vm name=\"vm1\"></network>"), DryRun: false));
        var problem = Assert.IsType<NetworkRejected>(bad).FileProblems.Single();
        Assert.Equal(("bad.xml", 2), (problem.File, problem.Line));
        Assert.Contains("malformed XML", problem.Message);
        _topology.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Discovery_requests_on_a_node_without_discovery_are_refused_as_usage()
    {
        var e = await Assert.ThrowsAsync<CommandException>(() => _dispatcher.AskAsync(GetDiscoveryStats.Instance));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains("discovery is off on h1", e.Message);
    }

    [Fact]
    public async Task A_requests_range_is_checked_on_the_node()
    {
        var e = await Assert.ThrowsAsync<CommandException>(() => _dispatcher.AskAsync(new GetActorHierarchy(9)));
        Assert.Contains("depth 9 is out of range 1-8", e.Message);
        var tail = await Assert.ThrowsAsync<CommandException>(() => _dispatcher.ExecuteAsync(new TailCluster(0)));
        Assert.Equal(ExitCodes.Usage, tail.Exit);
    }
}
