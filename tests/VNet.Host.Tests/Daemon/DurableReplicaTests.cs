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

namespace VNet.Host.Tests.Daemon;

/// <summary>
/// The desired network is kept on disk by each node (a file per key, as vnetd configures it): a node whose
/// actor system ends (every node killed at once) finds its links again when it starts from the
/// same state directory, and a fresh directory starts empty.
/// </summary>
public sealed class DurableReplicaTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vnet-durable-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static DesiredLink Link(string id, int protocol) =>
        new(id, LinkKind.RawP2P, ["vm1", "vm2@h2"], new LinkOptions { BandwidthBitsPerSecond = 5_000_000, Dscp = 10 })
        {
            Placement = new LinkSpec(id, LinkKind.RawP2P,
                [new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.10"),
                 new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "192.0.2.11")],
                new LinkOptions { BandwidthBitsPerSecond = 5_000_000, Dscp = 10 }) { Protocol = protocol },
        };

    private ActorSystem StartNode(string stateDir)
    {
        var hocon = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon")));
        var config = NodeState.DurableConfig(stateDir)
            .WithFallback(ConfigurationFactory.ParseString("""
                akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
                akka.remote.dot-netty.tcp.port = 0
                akka.cluster.split-brain-resolver.stable-after = 1s
                """))
            .WithFallback(hocon);
        var system = ActorSystem.Create("vnet", BootstrapSetup.Create().WithConfig(config).And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList())));
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        Assert.True(up.Task.Wait(TimeSpan.FromSeconds(20)), "single node did not come up");
        return system;
    }

    private static async Task<LWWDictionary<string, DesiredLink>?> ReadLocal(ActorSystem system)
    {
        var reply = await DistributedData.Get(system).Replicator.Ask<IGetResponse>(Dsl.Get(TopologyReplica.LinksKey, Akka.DistributedData.ReadLocal.Instance), TimeSpan.FromSeconds(10));
        return reply is GetSuccess s ? s.Get(TopologyReplica.LinksKey) : null;
    }

    [Fact]
    public async Task Links_written_before_every_node_stopped_are_there_after_a_restart()
    {
        var state = Path.Combine(_dir, "h1");
        var first = StartNode(state);
        var replica = new TopologyReplica(DistributedData.Get(first).Replicator, Cluster.Get(first), TimeSpan.FromSeconds(3));
        replica.WriteLink(Link("l1", 201));
        replica.WriteLink(Link("l2", 202));
        replica.RemoveLink("l2");
        replica.WriteLink(Link("l3", 203));
        // A write counts once the replicator answers a later read; LMDB is written before it answers.
        var seen = await ReadLocal(first);
        for (var i = 0; i < 50 && (seen is null || seen.Count < 2); i++)
        {
            await Task.Delay(100);
            seen = await ReadLocal(first);
        }
        Assert.Equal(["l1", "l3"], seen!.Keys.Order(StringComparer.Ordinal));
        // The replicator answers reads from memory; the store writes the file as the update completes.
        var file = Path.Combine(state, NodeState.DurableSubdirectory, "vnet-links.ddata");
        for (var i = 0; i < 100 && !File.Exists(file); i++) await Task.Delay(100);
        Assert.True(File.Exists(file), "a file for the links key");
        await Task.Delay(500);
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(30));

        var second = StartNode(state);
        try
        {
            var back = await ReadLocal(second);
            Assert.NotNull(back);
            Assert.Equal(["l1", "l3"], back.Keys.Order(StringComparer.Ordinal));
            var l1 = back["l1"];
            Assert.Equal(201, l1.Placement!.Protocol);
            Assert.Equal(5_000_000, l1.Options.BandwidthBitsPerSecond);
            Assert.Equal(["vm1", "vm2@h2"], l1.Vms.ToArray());
        }
        finally
        {
            await second.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_node_with_a_fresh_state_directory_knows_no_link()
    {
        var system = StartNode(Path.Combine(_dir, "fresh"));
        try
        {
            Assert.True((await ReadLocal(system)) is null or { Count: 0 });
            Assert.True(Directory.Exists(Path.Combine(_dir, "fresh", NodeState.DurableSubdirectory)), "the store's directory in the state directory");
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
