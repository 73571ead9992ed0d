using Akka.Actor;
using Akka.Configuration;
using VNet.Host.Daemon;

namespace VNet.Host.Tests.Daemon;

/// <summary>A downed node starts again and only joins; any other end of the actor system ends vnetd.</summary>
public sealed class NodeRestartTests
{
    [Fact]
    public void Only_a_downed_node_starts_again()
    {
        Assert.True(NodeRestart.ShouldRejoin(CoordinatedShutdown.ClusterDowningReason.Instance));
        Assert.False(NodeRestart.ShouldRejoin(CoordinatedShutdown.ClusterLeavingReason.Instance));
        Assert.False(NodeRestart.ShouldRejoin(CoordinatedShutdown.ClrExitReason.Instance));
        Assert.False(NodeRestart.ShouldRejoin(null));
    }

    [Fact]
    public void A_restarted_node_drops_its_own_address_from_the_seeds_and_keeps_the_others()
    {
        var hocon = ConfigurationFactory.ParseString("""
            akka.remote.dot-netty.tcp.hostname = "192.0.2.10"
            akka.remote.dot-netty.tcp.port = 4053
            akka.cluster.seed-nodes = ["akka.ssl.tcp://vnet@192.0.2.10:4053", "akka.ssl.tcp://vnet@192.0.2.11:4053", "akka.ssl.tcp://vnet@192.0.2.10:4054"]
            """);
        var seeds = NodeRestart.RejoinConfig(hocon).GetStringList("akka.cluster.seed-nodes");
        Assert.Equal(["akka.ssl.tcp://vnet@192.0.2.11:4053", "akka.ssl.tcp://vnet@192.0.2.10:4054"], seeds);
    }

    [Fact]
    public void A_node_that_was_its_only_seed_has_none_left_and_so_bootstraps_join_only()
    {
        var hocon = ConfigurationFactory.ParseString("""
            akka.remote.dot-netty.tcp.hostname = "192.0.2.10"
            akka.remote.dot-netty.tcp.port = 4053
            akka.cluster.seed-nodes = ["akka.tcp://vnet@192.0.2.10:4053"]
            """);
        Assert.Empty(NodeRestart.RejoinConfig(hocon).GetStringList("akka.cluster.seed-nodes"));
    }
}
