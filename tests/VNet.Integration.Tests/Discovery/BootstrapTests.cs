using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Discovery;

/// <summary>Cluster bootstrap by discovery (DESIGN.md §3): vnetds started with no seed nodes at all.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public async Task Three_vnetd_without_seed_nodes_form_one_cluster_of_three()
    {
        // Lab up itself waits until h1 sees three Up members that announced themselves.
        await using var session = await LabSession.UpAsync("chain", new LabOptions { NoSeedNodes = true, CreateLinks = false });
        Assert.All(session.State.Hosts, h => Assert.Contains("akka.cluster.seed-nodes = []", File.ReadAllText(h.Config)));
        var views = new List<string[]>();
        foreach (var host in session.Lab.Hosts)
        {
            var members = (await session.CommandAsync(host.Name, "cluster", "show")).AsArray();
            Assert.All(members, m => Assert.Equal("up", m!["status"]!.GetValue<string>()));
            views.Add([.. members.Select(m => m!["address"]!.GetValue<string>()).Order()]);
        }
        Assert.All(views, v => Assert.Equal(3, v.Length));
        Assert.All(views, v => Assert.Equal(views[0], v));
        // The rule is deterministic: the lowest address (h1, 192.0.2.10) formed the cluster, so it is the oldest.
        var leader = await session.CommandAsync("h3", "cluster", "leader");
        Assert.Equal("h1", session.HostOf(leader["oldest"]!.GetValue<string>()));
    }
}
