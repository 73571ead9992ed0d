using System.Diagnostics;
using System.Text.Json.Nodes;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Topology;

/// <summary>
/// A lab heals itself. A host cut off its substrate for 20 s is downed by the split-brain
/// resolver; its vnetd does not exit but starts a fresh node that rejoins once the network heals,
/// and the topology manager makes its links again without a command. Every vnetd killed at once
/// and started again re-forms one cluster with the same links, options and protocol numbers (each
/// node keeps the desired network on disk). Recovery times are written to the test output.
/// </summary>
public sealed class RecoveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CutFor = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("h3", true)] // holds both links' far ends; no seed nodes: it rejoins through discovery
    [InlineData("h1", false)] // the oldest node: holds the topology manager; it rejoins through the seeds
    public async Task A_host_cut_off_for_20_s_rejoins_and_its_links_come_back_without_a_command(string victim, bool discovery)
    {
        await using var session = await LabSession.UpAsync("chain", new LabOptions { NoSeedNodes = discovery });
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 3).Received);
        var pid = session.State.Processes.Single(p => p.Name == $"vnetd-{victim}").Pid;
        var observer = victim == "h1" ? "h2" : "h1";

        session.Cut(victim);
        var clock = Stopwatch.StartNew();
        // During the cut every console request on the other side gets an answer or a clear "retry"
        // at once; the cut node's own console says it is out of reach rather than hang.
        var slowest = TimeSpan.Zero;
        var refused = 0;
        while (clock.Elapsed < CutFor)
        {
            var asked = Stopwatch.StartNew();
            var (exit, error) = await session.ExitOfAsync(observer, new GetLinks());
            asked.Stop();
            slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
            Assert.True(exit is 0 or 4, $"link show on {observer} during the cut: exit {exit}: {error}");
            if (exit == 4)
            {
                refused++;
                Assert.Contains("retry", error ?? "");
            }
            await Task.Delay(1000);
        }
        // The cut node may be between two actor systems (downed, starting again), its console
        // socket gone for a moment: ask until it answers.
        (int Exit, string? Error) cut = default;
        await session.WaitUntilAsync(async () =>
        {
            cut = await session.ExitOfAsync(victim, new GetLinks());
            return cut.Exit != ExitCodes.Unreachable;
        }, TimeSpan.FromSeconds(15), $"{victim}'s console answering during the cut");
        Assert.True(cut.Exit == 4 && (cut.Error ?? "").Contains("out of reach"), $"the cut node's console: exit {cut.Exit}: {cut.Error}");
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"a request on {observer} took {slowest.TotalSeconds:0.0} s during the cut");

        session.Heal(victim);
        var healed = Stopwatch.StartNew();
        await session.WaitUntilAsync(async () =>
        {
            var members = (await session.TryReplyAsync<MemberList>(observer, GetMembers.Instance))?.Members ?? [];
            return members.Length == 3 && members.All(m => m.Status == "up");
        }, TimeSpan.FromSeconds(90), $"{victim} back in the cluster, all three members up");
        var rejoined = healed.Elapsed;
        await session.WaitUntilAsync(async () =>
        {
            var links = (await session.TryReplyAsync<LinkList>(observer, new GetLinks()))?.Links ?? [];
            return links.Length == 2 && links.All(l => l.Phase == LinkPhase.Established);
        }, TimeSpan.FromSeconds(90), "both links established again");
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 again through l1");
        var forwarding = healed.Elapsed;
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3).Received);
        Assert.True(Shell.Alive(pid), $"vnetd of {victim} (pid {pid}) exited instead of rejoining");
        Assert.Contains("starting again", System.IO.File.ReadAllText(session.State.Processes.Single(p => p.Name == $"vnetd-{victim}").Log));
        output.WriteLine($"cut {victim} for {CutFor.TotalSeconds:0} s: slowest console request on {observer} {slowest.TotalSeconds:0.0} s ({refused} answered 'retry'); " +
                         $"after the heal: member up in {rejoined.TotalSeconds:0.0} s, links forwarding in {forwarding.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Every_vnetd_killed_at_once_then_started_again_re_forms_one_cluster_with_the_same_links()
    {
        await using var session = await LabSession.UpAsync("chain");
        await session.ReplyAsync<LinkOptionsSet>("h1", new SetLinkOptions("l2", new LinkOptionChanges { BandwidthBitsPerSecond = 50_000_000, Dscp = 10 }));
        var before = Links(await session.ReplyAsync<LinkList>("h1", new GetLinks()));

        foreach (var h in new[] { "h1", "h2", "h3" }) session.Kill(h);
        var clock = Stopwatch.StartNew();
        // Any order: the hosts that are not the lab's first wait for it, and it forms the cluster again.
        foreach (var h in new[] { "h3", "h2", "h1" }) session.Start(h);

        await session.WaitUntilAsync(async () =>
        {
            var members = (await session.TryReplyAsync<MemberList>("h2", GetMembers.Instance))?.Members ?? [];
            return members.Length == 3 && members.All(m => m.Status == "up");
        }, TimeSpan.FromSeconds(60), "one cluster of three");
        var formed = clock.Elapsed;
        Dictionary<string, LinkState> after = [];
        await session.WaitUntilAsync(async () =>
        {
            after = Links(await session.TryReplyAsync<LinkList>("h2", new GetLinks()));
            return after.Count == 2 && after.Values.All(l => l.Phase == LinkPhase.Established);
        }, TimeSpan.FromSeconds(90), "both links made again from the nodes' stored network");
        var established = clock.Elapsed;

        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (id, link) in before)
            Assert.Equal(link.Link.Protocol, after[id].Link.Protocol);
        var options = after["l2"].Link.Options;
        Assert.Equal((50_000_000, 10), (options.BandwidthBitsPerSecond, options.Dscp));
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 through l1");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3).Received);
        output.WriteLine($"full restart: one cluster {formed.TotalSeconds:0.0} s after the starts, both links established at {established.TotalSeconds:0.0} s, forwarding at {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static Dictionary<string, LinkState> Links(LinkList? show) =>
        (show?.Links ?? []).ToDictionary(l => l.Link.Id);
}
