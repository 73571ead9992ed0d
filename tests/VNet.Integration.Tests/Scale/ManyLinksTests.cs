using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using VNet.Actors.Networks;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Scale;

/// <summary>
/// Generated labs with many links, all made by one <c>net load</c> (created in parallel by the
/// topology manager), then checked as a user would: every link established, every link's two VMs ping.
/// </summary>
public sealed class ManyLinksTests(ITestOutputHelper output)
{
    /// <summary>
    /// Hundreds of forwarder threads start on one 2-core machine (shared with other tests) while the
    /// links come up; heartbeats then arrive late. These tests are about links, not failure detection,
    /// so a node is given longer before it is taken for gone, and a link end longer to start.
    /// </summary>
    public const string PatientFailureDetection = """
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s
        akka.cluster.split-brain-resolver.stable-after = 20s
        vnet.topology.start-timeout = 20s
        """;

    private static async Task<LabSession> UpAsync(LabGenOptions options)
    {
        var lab = LabFile.Parse(LabGen.Generate(options), Path.Combine(Path.GetTempPath(), $"{options.Name}.xml"));
        return await LabSession.UpAsync(lab, new LabOptions { CreateLinks = false, ClusterTimeout = TimeSpan.FromSeconds(120), ExtraConfig = PatientFailureDetection });
    }

    /// <summary>Loads the lab's network with one request, as `vnet net load` does; returns the links and how long it took.</summary>
    private static async Task<(ImmutableArray<LinkState> Links, TimeSpan Took)> LoadAsync(LabSession session)
    {
        var file = NetworkFile.Write(session.Lab.Network);
        var clock = Stopwatch.StartNew();
        var reply = await session.AskAsync(session.State.Hosts[0].Name, new LoadNetwork("scale.xml", Encoding.UTF8.GetBytes(file), false));
        var loaded = reply as NetworkLoaded ?? throw new Xunit.Sdk.XunitException($"net load answered {reply}{Environment.NewLine}{session.Logs()}");
        return (loaded.Links, clock.Elapsed);
    }

    /// <summary>The operating-system threads of a lab host's vnetd, and how many of them are workers of the runtime's thread pool (/proc/PID/task/*/comm).</summary>
    private static (int All, int RuntimePool) Threads(LabSession session, string host)
    {
        var pid = session.State.Processes.Single(p => p.Name == $"vnetd-{host}").Pid;
        var names = Directory.GetDirectories($"/proc/{pid}/task").Select(t =>
        {
            try { return File.ReadAllText(Path.Combine(t, "comm")).Trim(); }
            catch (IOException) { return null; } // the thread ended meanwhile
        }).Where(n => n is not null).ToList();
        return (names.Count, names.Count(n => n!.StartsWith(".NET TP Worker", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Pings across every link (its first VM pings the second), a few at a time; returns the links that
    /// did not answer. A link silent in the first pass is tried again on its own after the others, so
    /// a moment when the shared machine gave the hosts no CPU is not taken for a broken link.
    /// </summary>
    private static async Task<List<string>> SilentLinksAsync(LabSession session)
    {
        var vms = session.Lab.Vms.ToDictionary(v => v.Name);
        bool Answers(NetworkLink link, int count) =>
            Measurements.Ping(session.Ns(link.Vms[0]), vms[link.Vms[1]].Address!.ToString(), count: count).Received > 0;
        var silent = new List<NetworkLink>();
        await Parallel.ForEachAsync(session.Lab.Network.Links, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (link, _) =>
        {
            // The first echo may wait for ARP; a second try covers a reply lost while the link came up.
            if (!Answers(link, 1) && !Answers(link, 1)) lock (silent) silent.Add(link);
            return ValueTask.CompletedTask;
        });
        return [.. silent.Where(link => !Enumerable.Range(0, 3).Any(_ => Answers(link, 3))).Select(l => l.Id)];
    }

    [Fact]
    public async Task One_host_carries_150_raw_links_toward_two_peers_past_the_110_of_the_per_host_rule()
    {
        await using var session = await UpAsync(new LabGenOptions(3, 1, 150) { Layout = LabLayout.Star, Name = "star150" });
        var (threadsBefore, poolBefore) = Threads(session, "h1");

        var (links, took) = await LoadAsync(session);
        output.WriteLine($"150 links loaded in {took.TotalSeconds:0.0} s");
        // The links share the node's forwarder threads (one per CPU) and its one VM-port watcher: 150
        // links add those, not the 300 forwarder and 150 watcher threads of a thread per link and
        // direction. The runtime's own thread pool grows while the links are made (and shrinks when
        // idle); it is counted apart.
        var (threadsAfter, poolAfter) = Threads(session, "h1");
        output.WriteLine($"h1's vnetd: {threadsBefore} threads before ({poolBefore} of the runtime's pool), {threadsAfter} with 150 links ({poolAfter} of the pool)");
        Assert.True(threadsAfter - poolAfter <= threadsBefore - poolBefore + Environment.ProcessorCount + 8,
            $"h1's vnetd has {threadsAfter - poolAfter} threads of its own with 150 links ({threadsBefore - poolBefore} before)");

        Assert.Equal(150, links.Length);
        var table = (HostLinks)await session.AskAsync("h1", GetHostLinks.Instance);
        Assert.Equal(150, table.Links.Count(l => l.Status == LinkStatus.Established));
        // Per peer, each number once; across the two peers numbers are reused (75 + 75 > 110).
        var byPeer = table.Links.GroupBy(l => l.Link.Endpoints[1].Host).ToList();
        Assert.All(byPeer, g => Assert.Equal(g.Count(), g.Select(l => l.Link.Protocol).Distinct().Count()));
        var shared = byPeer[0].Select(l => l.Link.Protocol).Intersect(byPeer[1].Select(l => l.Link.Protocol)).Count();
        output.WriteLine($"{shared} protocol numbers are used toward both peers");
        Assert.True(shared >= 40, $"only {shared} numbers shared");
        Assert.Empty(await SilentLinksAsync(session));
    }

    [Fact]
    public async Task Eight_hosts_with_200_links_from_one_net_load_are_all_established_and_each_pings()
    {
        await using var session = await UpAsync(new LabGenOptions(8, 50, 200) { Name = "mesh200" });

        var (links, took) = await LoadAsync(session);
        output.WriteLine($"200 links over 8 hosts loaded in {took.TotalSeconds:0.0} s");

        Assert.Equal(200, links.Length);
        var all = (LinkList)await session.AskAsync("h1", new GetLinks());
        Assert.Equal(200, all.Links.Count(l => l.Phase == LinkPhase.Established));
        Assert.Empty(await SilentLinksAsync(session));
    }
}
