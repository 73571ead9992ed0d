using System.Collections.Immutable;
using Akka.Cluster;
using VNet.Actors.Commands;
using VNet.Client;

namespace VNet.Actors.Tests.Commands;

/// <summary>When the console answers "retry" at once instead of letting a request wait for the topology manager.</summary>
public sealed class TopologyReachTests
{
    private static readonly TimeSpan HandOver = TimeSpan.FromSeconds(13);

    private static ClusterView View(MemberStatus? self, string[] oldestFirst, string[]? unreachable = null, string[]? going = null, int? count = null) =>
        new(self, [.. oldestFirst], [.. unreachable ?? []], count ?? oldestFirst.Length, [.. going ?? []]);

    [Fact]
    public void A_healthy_cluster_is_served()
    {
        Assert.Null(TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2", "h3"]), HandOver));
        // A member that is not the singleton's may be unreachable: the manager still answers.
        Assert.Null(TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2", "h3"], unreachable: ["h3"]), HandOver));
    }

    [Fact]
    public void The_singletons_node_unreachable_means_moving()
    {
        var problem = TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2", "h3"], unreachable: ["h1"]), HandOver);
        Assert.Contains("moving", problem);
        Assert.Contains("h1 is unreachable", problem);
        Assert.Contains("retry in 13 s", problem);
    }

    [Fact]
    public void A_downed_singleton_node_is_moving_until_it_is_removed()
    {
        // Down and still unreachable: the proxy would still send to it.
        Assert.Contains("leaving", TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2", "h3"], unreachable: ["h1"], going: ["h1"]), HandOver));
        // Removed: the next oldest holds it, requests are served (the proxy buffers them meanwhile).
        Assert.Null(TopologyReach.Problem(View(MemberStatus.Up, ["h2", "h3"]), HandOver));
    }

    [Fact]
    public void A_node_that_is_not_a_member_says_so()
    {
        Assert.Contains("not in the cluster (joining", TopologyReach.Problem(View(MemberStatus.Joining, ["h1"]), HandOver));
        Assert.Contains("not in the cluster (not a member", TopologyReach.Problem(View(null, []), HandOver));
    }

    [Fact]
    public void The_cut_side_of_a_partition_cannot_reach_most_members()
    {
        var problem = TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2", "h3"], unreachable: ["h2", "h3"]), HandOver, a => $"host-{a}");
        Assert.Contains("cannot reach 2 of the 3 members (host-h2, host-h3)", problem);
        // Two nodes, the other gone: the oldest keeps the cluster and is served.
        Assert.Null(TopologyReach.Problem(View(MemberStatus.Up, ["h1", "h2"], unreachable: ["h2"]), HandOver));
    }
}
