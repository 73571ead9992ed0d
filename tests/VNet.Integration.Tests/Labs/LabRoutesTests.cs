using VNet.Host;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Labs;

/// <summary>The pure parts of multicast labs: router routes along a chain, smcroute configuration, the bootstrap attribute.</summary>
public sealed class LabRoutesTests
{
    private static LabDefinition Chain() => LabFile.Load(Cli.ResolveLabFile(Path.Combine(LabSession.RepoRoot, "labs", "chain.xml")));

    [Fact]
    public void Routers_of_a_chain_get_routes_to_the_subnets_beyond_their_neighbours()
    {
        var routes = LabRoutes.Compute(Chain()).Select(r => $"{r.Router}: {r.Destination} via {r.Via} dev {r.Device}").ToArray();
        Assert.Equal(["r1: 203.0.113.0/24 via 198.51.100.2 dev to-b", "r2: 192.0.2.0/24 via 198.51.100.1 dev to-b"], routes);
    }

    [Fact]
    public void Smcroute_forwards_the_group_from_every_interface_to_the_others()
    {
        var conf = LabMulticast.Config(Chain().Routers[0], "239.192.86.78");
        Assert.Contains("phyint to-a enable", conf);
        Assert.Contains("phyint to-b enable", conf);
        Assert.Contains("mroute from to-a group 239.192.86.78 to to-b", conf);
        Assert.Contains("mroute from to-b group 239.192.86.78 to to-a", conf);
        // The multipoint segments' group crosses the router too.
        Assert.Contains($"mroute from to-a group {LabMulticast.SegmentGroup} to to-b", conf);
    }

    [Fact]
    public void A_lab_file_can_ask_for_bootstrap_by_discovery()
    {
        var xml = File.ReadAllText(Path.Combine(LabSession.RepoRoot, "labs", "chain.xml"));
        Assert.False(Chain().DiscoveryBootstrap);
        Assert.True(LabFile.Parse(xml.Replace("<lab name=\"chain\">", "<lab name=\"chain\" bootstrap=\"discovery\">"), "chain.xml").DiscoveryBootstrap);
        var e = Assert.Throws<VNet.Actors.Networks.NetworkFileException>(() => LabFile.Parse(xml.Replace("<lab name=\"chain\">", "<lab name=\"chain\" bootstrap=\"magic\">"), "chain.xml"));
        Assert.Contains(e.Problems, p => p.ToString().Contains("bootstrap 'magic'"));
    }

    [Fact]
    public void A_lab_without_seed_nodes_writes_an_empty_seed_list()
    {
        var host = Chain().Hosts[1];
        var config = LabRunner.HostConfig(host, "vt0000-", [], "/tmp/h2.sock", null, "239.192.86.78");
        Assert.Contains("akka.cluster.seed-nodes = []", config);
        Assert.Contains("vnet.discovery.group = \"239.192.86.78\"", config);
        Assert.Contains("akka.cluster.seed-nodes = [\"akka.tcp://vnet@192.0.2.10:4053\"]", LabRunner.HostConfig(host, "vt0000-", "akka.tcp://vnet@192.0.2.10:4053", "/tmp/h2.sock", null));
    }
}
