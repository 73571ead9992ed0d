using System.Diagnostics;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

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
            var (_, end) = await session.ConsoleAsync("h2", "link", "show");
            asked.Stop();
            slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
            log.Add($"{clock.Elapsed.TotalSeconds,5:0.0} s: exit {end.Exit} in {asked.Elapsed.TotalSeconds:0.0} s {end.Error}");
            Assert.True(end.Exit is 0 or 4, string.Join(Environment.NewLine, log));
            if (end.Exit == 4) Assert.Contains("retry in", end.Error ?? "");
            if (end.Exit == 0)
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
        await session.CommandAsync("h2", "link", "delete", new() { ["id"] = "l2" });
        await session.CommandAsync("h2", "link", "create", new() { ["id"] = "l3", ["vms"] = "vm2,vm4" });
        output.WriteLine($"singleton's node killed: first answer after {servedAt!.Value.TotalSeconds:0.0} s, slowest request {slowest.TotalSeconds:0.0} s");
        foreach (var line in log) output.WriteLine(line);
    }

    [Fact]
    public async Task Killing_the_node_of_the_topology_manager_keeps_the_hosts_and_the_desired_network()
    {
        await using var session = await LabSession.UpAsync("chain");
        var before = await session.CommandAsync("h2", "cluster", "leader");
        var oldest = before["oldest"]!.GetValue<string>();
        var victim = session.HostOf(oldest);
        Assert.Equal("h1", victim); // the seed node is the oldest, so it runs the singleton
        var links = (await session.CommandAsync("h2", "link", "show")).AsArray();
        Assert.Equal(["l1", "l2"], links.Select(l => l!["id"]!.GetValue<string>()).ToArray());

        session.Kill(victim);

        // The singleton moves to the next oldest node once the dead one is downed and removed.
        string? newHome = null;
        await session.WaitUntilAsync(async () =>
        {
            var now = await session.TryCommandAsync("h3", "cluster", "leader");
            newHome = now?["oldest"]?.GetValue<string>() is { } o && o != oldest ? session.HostOf(o) : null;
            return newHome is not null;
        }, TimeSpan.FromSeconds(60), "the singleton moving off the killed node");
        Assert.NotEqual(victim, newHome);

        // The new manager read the replicas: it knows the dead host and both links.
        Dictionary<string, string> states = [];
        await session.WaitUntilAsync(async () =>
        {
            var hosts = (await session.TryCommandAsync("h3", "hosts", "show"))?.AsArray() ?? [];
            states = hosts.ToDictionary(h => h!["info"]!["name"]!.GetValue<string>(), h => h!["state"]!.GetValue<string>());
            return states.Count == 3 && states.Where(kv => kv.Key != victim).All(kv => kv.Value == "up");
        }, TimeSpan.FromSeconds(60), "the new topology manager answering with three hosts, the living ones up");
        Assert.Equal("down", states[victim]);

        JsonArray after = [];
        await session.WaitUntilAsync(async () =>
        {
            after = (await session.TryCommandAsync("h3", "link", "show"))?.AsArray() ?? [];
            return after.Count == 2 && Status(after, "l2") == "established" && Status(after, "l1") == "down";
        }, TimeSpan.FromSeconds(30), "l2 checked established and l1 down (its host h1 is dead)");
        Assert.Contains("h1", after.Single(l => l!["id"]!.GetValue<string>() == "l1")!["detail"]!.GetValue<string>());

        var ping = Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3);
        Assert.True(ping.Received == 3, $"vm2 -> vm4 through l2 after the fail-over: {ping.Received}/{ping.Sent}{Environment.NewLine}{session.Logs()}");
    }

    private static string Status(JsonArray links, string id) => links.Single(l => l!["id"]!.GetValue<string>() == id)!["status"]!.GetValue<string>();
}
