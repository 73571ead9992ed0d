using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Discovery;

/// <summary>Cluster bootstrap by discovery: vnetds started with no seed nodes at all.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public async Task Three_vnetd_without_seed_nodes_form_one_cluster_of_three()
    {
        // Lab up itself waits until h1 sees three Up members that announced themselves.
        await using var session = await LabSession.UpAsync("chain", new LabOptions { NoSeedNodes = true, CreateLinks = false });
        Assert.All(session.State.Hosts, h => Assert.Contains("akka.cluster.seed-nodes = []", File.ReadAllText(h.Config)));
        // Every node comes to see the same three Up members (gossip may lag the first node's view a little).
        var views = new List<string[]>();
        await session.WaitUntilAsync(async () =>
        {
            views.Clear();
            foreach (var host in session.Lab.Hosts)
            {
                var members = (await session.TryReplyAsync<MemberList>(host.Name, GetMembers.Instance))?.Members ?? [];
                views.Add([.. members.Where(m => m.Status == "up").Select(m => m.Address).Order()]);
            }
            return views.All(v => v.Length == 3 && v.SequenceEqual(views[0]));
        }, TimeSpan.FromSeconds(20), "all three nodes seeing the same cluster of three Up members");
        // The rule is deterministic: the lowest address (h1, 192.0.2.10) formed the cluster, so it is the oldest.
        var leader = await session.ReplyAsync<LeaderInfo>("h3", GetLeader.Instance);
        Assert.Equal("h1", session.HostOf(leader.Oldest!));
    }
}
