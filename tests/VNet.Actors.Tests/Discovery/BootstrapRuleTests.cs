using VNet.Actors.Discovery;
using VNet.Messages;

namespace VNet.Actors.Tests.Discovery;

public sealed class BootstrapRuleTests
{
    private const string A = "akka.tcp://vnet@192.0.2.10:4053";
    private const string B = "akka.tcp://vnet@198.51.100.10:4053";
    private const string C = "akka.tcp://vnet@203.0.113.10:4053";
    private const string B2 = "akka.tcp://vnet@192.0.2.9:4053"; // lower than A as a number, higher as text

    [Fact]
    public void Alone_a_node_forms_the_cluster()
    {
        Assert.Equal(A, BootstrapRule.Decide(A, []));
    }

    [Fact]
    public void Fresh_nodes_that_heard_each_other_all_pick_the_lowest_address()
    {
        var nodes = new[] { A, B, C };
        var choices = nodes.Select(self => BootstrapRule.Decide(self, nodes.Where(n => n != self).Select(n => new BootstrapPeer(n, MemberState.NotMember, null)))).ToList();
        Assert.All(choices, c => Assert.Equal(A, c));
    }

    [Fact]
    public void An_up_member_wins_over_a_lower_fresh_node()
    {
        var peers = new[] { new BootstrapPeer(A, MemberState.NotMember, null), new BootstrapPeer(C, MemberState.Up, null) };
        Assert.Equal(C, BootstrapRule.Decide(B, peers));
    }

    [Fact]
    public void A_node_arriving_while_others_form_a_cluster_follows_their_seed()
    {
        // B and C already chose B as their seed; A, lower but late, must not form a second cluster.
        var peers = new[] { new BootstrapPeer(B, MemberState.Joining, B), new BootstrapPeer(C, MemberState.NotMember, B) };
        Assert.Equal(B, BootstrapRule.Decide(A, peers));
    }

    [Fact]
    public void Addresses_compare_as_numbers_not_text()
    {
        Assert.True(BootstrapRule.Compare(B2, A) < 0);
        Assert.Equal(B2, BootstrapRule.Lowest([A, B, B2]));
        Assert.True(BootstrapRule.Compare("akka.tcp://vnet@192.0.2.10:4053", "akka.tcp://vnet@192.0.2.10:4054") < 0);
        Assert.True(BootstrapRule.Compare(A, "akka.tcp://vnet@host.example:4053") < 0);
    }

    [Fact]
    public void Leaving_nodes_and_nodes_without_address_are_ignored()
    {
        var peers = new[] { new BootstrapPeer(B2, MemberState.Leaving, null), new BootstrapPeer("", MemberState.NotMember, null) };
        Assert.Equal(A, BootstrapRule.Decide(A, peers));
    }
}
