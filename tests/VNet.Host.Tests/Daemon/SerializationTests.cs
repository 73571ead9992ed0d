using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Serialization.Hyperion;
using VNet.Host.Daemon;
using VNet.Messages;

namespace VNet.Host.Tests.Daemon;

/// <summary>VNet's messages cross the cluster through Hyperion with the allow-list, as vnetd configures it.</summary>
public sealed class SerializationTests : IDisposable
{
    private readonly ActorSystem _system;

    public SerializationTests()
    {
        var hocon = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon"));
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(ConfigurationFactory.ParseString(hocon));
        _system = ActorSystem.Create("ser", BootstrapSetup.Create().WithConfig(config).And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList())));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static LinkSpec Spec() => new("l1", LinkKind.UdpMultipoint,
        [new LinkEndpoint("h1", "vm1", MacAddress.Parse("02:00:00:00:01:01"), "192.0.2.10") { HostInterface = "vm1", Port = 47000 },
         new LinkEndpoint("h2", "vm2", MacAddress.Parse("02:00:00:00:02:01"), "198.51.100.10")],
        new LinkOptions { Compression = Compression.Lz4, Dscp = 46, BandwidthBitsPerSecond = 1_000_000, DelayMs = 1.5, LossPercent = 0.1 })
    { Protocol = 201, Group = "239.192.76.1", PreferredProtocol = 200 };

    public static IEnumerable<object[]> Messages()
    {
        var spec = Spec();
        var host = new HostInfo("h1", "192.0.2.10",
            [new InterfaceInfo("eth0", "192.0.2.10", 24, MacAddress.Parse("02:aa:00:00:00:01"), "192.0.2.1", null, 1500)],
            [new VmInfo("vm1", [new VmNic(MacAddress.Parse("02:00:00:00:01:01"), "vm1")], "running")], 1.25e-9) { NodeAddress = "akka.tcp://vnet@192.0.2.10:4053" };
        var counters = new DirectionCounters(10, 1000, 1040, ImmutableDictionary<string, long>.Empty.Add("shaper", 2)) { CompressedFrames = 3 };
        object[] all =
        [
            new NegotiationProtocol.Propose(Guid.NewGuid(), spec, 201, 1),
            new NegotiationProtocol.Ok(Guid.NewGuid(), "h2", 201, 2, spec),
            new NegotiationProtocol.Nok(Guid.NewGuid(), "h2", 202, 1, spec),
            new NegotiationProtocol.Confirm(Guid.NewGuid(), 201),
            new NegotiationProtocol.Abort(Guid.NewGuid(), "timeout"),
            new NegotiationProtocol.Refuse(Guid.NewGuid(), "h2", "no"),
            new LinkProtocol.Created(spec, "h1"),
            new LinkProtocol.Table("h1", [new LinkProtocol.Row(spec, LinkStatus.Established, null, counters, DirectionCounters.Empty, 1462) { Transport = "raw socket" }]),
            new LinkProtocol.CaptureChunk([1, 2, 3]),
            new TopologyProtocol.HostAnnounce(host),
            new VNet.Messages.Commands.CreateLink("l1", LinkKind.RawP2P, ["vm1", "vm2"], LinkOptions.Default) { PreferredProtocol = 150 },
            new VNet.Messages.Commands.HostList([new VNet.Messages.Commands.HostEntry(host, VNet.Messages.Commands.HostStatus.Up, 1, 2)]),
            new VNet.Messages.Commands.LinkList([new VNet.Messages.Commands.LinkState(spec, VNet.Messages.Commands.LinkPhase.WaitingForHost, "host h2 left",
                [new VNet.Messages.Commands.LinkEndState("h1", "vm1", LinkStatus.Down, 150, 0, 0, null, null)])]),
            new VNet.Messages.Commands.LinkRejected("l1", ["no"]),
            new TopologyProtocol.LinkReport("l1", Guid.NewGuid(), new VNet.Messages.Commands.LinkEndState("h1", "vm1", LinkStatus.Established, 201, 0, 1462, "raw socket", null)),
            new VNet.Messages.Commands.LinkList([new VNet.Messages.Commands.LinkState(spec with { Attempt = Guid.NewGuid() }, VNet.Messages.Commands.LinkPhase.Degraded, "h2: socket error",
                [new VNet.Messages.Commands.LinkEndState("h1", "vm1", LinkStatus.Established, 201, 0, 1462, "raw socket", null),
                 new VNet.Messages.Commands.LinkEndState("h2", "vm2", LinkStatus.Restarting, 201, 0, 1462, "raw socket", "socket error")])]),
        ];
        return all.Select(m => new[] { m });
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_kind_round_trips_through_hyperion(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.Contains("Hyperion", serializer.GetType().Name);
        var bytes = serializer.ToBinary(message);
        var back = serializer.FromBinary(bytes, message.GetType());
        // Records compare by value, but ImmutableArray fields compare by reference: compare the JSON view.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(message, message.GetType()), System.Text.Json.JsonSerializer.Serialize(back, message.GetType()));
    }

    [Fact]
    public void A_type_outside_the_allow_list_is_refused()
    {
        var filter = new HyperionAllowList();
        Assert.True(filter.IsAllowed("VNet.Messages.LinkSpec, VNet.Messages"));
        Assert.True(filter.IsAllowed("System.Collections.Immutable.ImmutableArray`1[[VNet.Messages.LinkEndpoint, VNet.Messages]], System.Collections.Immutable"));
        Assert.False(filter.IsAllowed("System.Diagnostics.Process, System.Diagnostics.Process"));
        Assert.False(filter.IsAllowed("System.Collections.Immutable.ImmutableArray`1[[System.IO.FileInfo, System.Private.CoreLib]], System.Collections.Immutable"));
    }
}
