using System.Diagnostics;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Topology;

/// <summary>
/// The desired network outlives the node that runs the TopologyManager: kill -9 that
/// node; the singleton starts on another node and still knows the hosts and the links made before.
/// </summary>
public sealed class SingletonFailoverTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Console_requests_during_the_hand_over_get_an_answer_or_a_clear_retry_never_silence()
    {
        await using var session = await LabSession.UpAsync("chain");
        session.Kill("h1");
        var clock = Stopwatch.StartNew();
        var log = new List<string>();
        TimeSpan? servedAt = null;
        var slowest = TimeSpan.Zero;
        // One request a second on h2 until the new manager has answered three in a row.
        var served = 0;
        while (served < 3 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var asked = Stopwatch.StartNew();
            var (exit, error) = await session.ExitOfAsync("h2", new GetLinks());
            asked.Stop();
            slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
            log.Add($"{clock.Elapsed.TotalSeconds,5:0.0} s: exit {exit} in {asked.Elapsed.TotalSeconds:0.0} s {error}");
            Assert.True(exit is 0 or 4, string.Join(Environment.NewLine, log));
            if (exit == 4) Assert.Contains("retry in", error ?? "");
            if (exit == 0)
            {
                servedAt ??= clock.Elapsed;
                served++;
            }
            else served = 0;
            await Task.Delay(1000);
        }
        Assert.True(served == 3, $"the new manager did not answer within 60 s:{Environment.NewLine}{string.Join(Environment.NewLine, log)}");
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"a request waited {slowest.TotalSeconds:0.0} s:{Environment.NewLine}{string.Join(Environment.NewLine, log)}");

        // Placement counts only the living hosts at once: a link between them is made on the first try.
        await session.ReplyAsync<LinkDeleted>("h2", new DeleteLink("l2"));
        await session.ReplyAsync<LinkCreated>("h2", new CreateLink("l3", LinkKind.RawP2P, ["vm2", "vm4"], LinkOptions.Default));
        output.WriteLine($"singleton's node killed: first answer after {servedAt!.Value.TotalSeconds:0.0} s, slowest request {slowest.TotalSeconds:0.0} s");
        foreach (var line in log) output.WriteLine(line);
    }

    [Fact]
    public async Task Killing_the_node_of_the_topology_manager_keeps_the_hosts_and_the_desired_network()
    {
        await using var session = await LabSession.UpAsync("chain");
        var before = await session.ReplyAsync<LeaderInfo>("h2", GetLeader.Instance);
        var oldest = before.Oldest!;
        var victim = session.HostOf(oldest);
        Assert.Equal("h1", victim); // the seed node is the oldest, so it runs the singleton
        var links = (await session.ReplyAsync<LinkList>("h2", new GetLinks())).Links;
        Assert.Equal(["l1", "l2"], links.Select(l => l.Link.Id).ToArray());

        session.Kill(victim);

        // The singleton moves to the next oldest node once the dead one is downed and removed.
        string? newHome = null;
        await session.WaitUntilAsync(async () =>
        {
            var now = await session.TryReplyAsync<LeaderInfo>("h3", GetLeader.Instance);
            newHome = now?.Oldest is { } o && o != oldest ? session.HostOf(o) : null;
            return newHome is not null;
        }, TimeSpan.FromSeconds(60), "the singleton moving off the killed node");
        Assert.NotEqual(victim, newHome);

        // The new manager read the replicas: it knows the dead host and both links.
        Dictionary<string, HostStatus> states = [];
        await session.WaitUntilAsync(async () =>
        {
            var hosts = (await session.TryReplyAsync<HostList>("h3", new GetHosts()))?.Hosts ?? [];
            states = hosts.ToDictionary(h => h.Info.Name, h => h.Status);
            return states.Count == 3 && states.Where(kv => kv.Key != victim).All(kv => kv.Value == HostStatus.Up);
        }, TimeSpan.FromSeconds(60), "the new topology manager answering with three hosts, the living ones up");
        Assert.Equal(HostStatus.Down, states[victim]);

        System.Collections.Immutable.ImmutableArray<LinkState> after = [];
        await session.WaitUntilAsync(async () =>
        {
            after = (await session.TryReplyAsync<LinkList>("h3", new GetLinks()))?.Links ?? [];
            return after.Length == 2 && Phase(after, "l2") == LinkPhase.Established && Phase(after, "l1") == LinkPhase.WaitingForHost;
        }, TimeSpan.FromSeconds(30), "l2 checked established and l1 waiting for its host (h1 is dead)");
        Assert.Contains("h1", after.Single(l => l.Link.Id == "l1").Detail);

        var ping = Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3);
        Assert.True(ping.Received == 3, $"vm2 -> vm4 through l2 after the fail-over: {ping.Received}/{ping.Sent}{Environment.NewLine}{session.Logs()}");
    }

    private static LinkPhase Phase(IEnumerable<LinkState> links, string id) => links.Single(l => l.Link.Id == id).Phase;
}
