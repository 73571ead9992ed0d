using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Serialization.Hyperion;
using VNet.Actors.Topology;
using VNet.Host.Daemon;
using VNet.Messages;

namespace VNet.Actors.Tests.Topology;

/// <summary>
/// What the TopologyManager replicates crosses nodes through DistributedData's serializer, which
/// hands the values to Hyperion (bound to IVNetMessage) under vnetd's allow-list.
/// </summary>
public sealed class ReplicationSerializationTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        var hocon = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon"));
        // A node that never joins: loopback only, any free port.
        var config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }")
            .WithFallback(ConfigurationFactory.ParseString(hocon));
        var setup = BootstrapSetup.Create().WithConfig(config).And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList()));
        _system = ActorSystem.Create("vnet", setup);
        TopologyReplica.StartReplicator(_system);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    private static DesiredLink Link() => new("l1", LinkKind.RawP2P, ["vm1", "vm3@h3"], LinkOptions.Default with { Dscp = 46, BandwidthBitsPerSecond = 100_000_000 })
    {
        Placement = new LinkSpec("l1", LinkKind.RawP2P,
            [new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.10") { HostInterface = "vm1" },
             new LinkEndpoint("h3", "vm3", MacAddress.Parse("02:00:00:00:03:01"), "203.0.113.10") { HostInterface = "vm3" }], LinkOptions.Default) { Protocol = 201 },
    };

    private static KnownHost Known() => new(new HostInfo("h1", "192.0.2.10",
        [new InterfaceInfo("eth0", "192.0.2.10", 24, MacAddress.Parse("02:00:00:00:00:01"), "192.0.2.1", MacAddress.Parse("02:00:00:00:00:fe"), 1500)],
        [new VmInfo("vm1", [new VmNic(MacAddress.Parse("02:00:00:00:01:01"), "vm1")], "running")], 1e-9) { NodeAddress = "akka.tcp://vnet@192.0.2.10:4053" });

    private T RoundTrip<T>(T value) where T : class
    {
        var serializer = _system.Serialization.FindSerializerFor(value);
        var bytes = serializer.ToBinary(value);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        return (T)_system.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
    }

    [Fact]
    public void Replicated_values_go_through_hyperion_and_the_allow_list_admits_them()
    {
        Assert.IsType<Akka.Serialization.HyperionSerializer>(_system.Serialization.FindSerializerFor(Link()));
        var link = RoundTrip(Link());
        Assert.Equal(("l1", 201, 46), (link.Id, link.Placement!.Protocol, link.Options.Dscp));
        Assert.Equal(["vm1", "vm3@h3"], link.Vms.ToArray());
        Assert.Equal(Link().Placement!.Endpoints.ToArray(), link.Placement.Endpoints.ToArray());
        var host = RoundTrip(Known());
        Assert.Equal(Known().Info.Interfaces.ToArray(), host.Info.Interfaces.ToArray());
        Assert.Equal("vm1", host.Info.Vms.Single().Name);
        Assert.DoesNotContain(HyperionAllowList.Refused, n => n.Contains("VNet", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_authentication_setting_crosses_to_the_other_end(bool authenticate)
    {
        var options = LinkOptions.Default with { Authenticate = authenticate };
        Assert.Equal(authenticate, RoundTrip(Link() with { Options = options }).Options.Authenticate);
        Assert.Equal(authenticate, RoundTrip(new LinkProtocol.Create(Link().Placement! with { Options = options })).Link.Options.Authenticate);
    }

    [Fact]
    public void The_replicated_maps_serialize_with_their_values()
    {
        var cluster = Cluster.Get(_system);
        var links = LWWDictionary<string, DesiredLink>.Empty.SetItem(cluster, "l1", Link());
        var back = RoundTrip(links);
        Assert.True(back.TryGetValue("l1", out var link));
        Assert.Equal(201, link.Placement!.Protocol);
        var hosts = LWWDictionary<string, KnownHost>.Empty.SetItem(cluster, "h1", Known());
        Assert.Equal("192.0.2.10", RoundTrip(hosts)["h1"].Info.SubstrateAddress);
    }
}
