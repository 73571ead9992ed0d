using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Topology;

/// <summary>
/// A host that leaves marks its links down; when its vnetd comes back (a new process: it has lost
/// its links) the TopologyManager makes them again by itself. The lab has no seed
/// nodes, so the restarted vnetd also finds the cluster by discovery.
/// </summary>
public sealed class HostReturnTests
{
    [Fact]
    public async Task A_host_that_leaves_marks_its_links_down_and_its_return_brings_them_back()
    {
        await using var session = await LabSession.UpAsync("chain", new LabOptions { NoSeedNodes = true });
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 3).Received);

        session.Kill("h3");
        await session.WaitUntilAsync(async () =>
        {
            var links = (await session.TryReplyAsync<LinkList>("h1", new GetLinks()))?.Links ?? [];
            return links.Length == 2 && links.All(l => l.Phase == LinkPhase.WaitingForHost);
        }, TimeSpan.FromSeconds(30), "both links of h3 waiting for their host");
        var down = (await session.ReplyAsync<LinkList>("h1", new GetLinks())).Links;
        Assert.All(down, l => Assert.Contains("h3", l.Detail));

        session.Start("h3");
        // Nobody types a command: the manager sees h3 again and makes l1 and l2 anew.
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(90), "vm1 reaching vm3 again through l1");
        await session.WaitUntilAsync(async () =>
        {
            var back = (await session.TryReplyAsync<LinkList>("h1", new GetLinks()))?.Links ?? [];
            return back.Length == 2 && back.All(l => l.Phase == LinkPhase.Established);
        }, TimeSpan.FromSeconds(30), "both links established");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3).Received);
        var members = (await session.ReplyAsync<MemberList>("h3", GetMembers.Instance)).Members;
        Assert.Equal(3, members.Count(m => m.Status == "up"));
    }
}
