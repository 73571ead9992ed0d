using System.Collections.Immutable;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Host.Tests.Console;

/// <summary>
/// One filled-in example of every command message, in the order the protocol document lists them:
/// the tests round-trip each one and docs/console-protocol.md shows each one's JSON.
/// </summary>
public static class CommandSamples
{
    private static readonly MacAddress Mac1 = MacAddress.Parse("02:00:00:00:01:01"), Mac2 = MacAddress.Parse("02:00:00:00:02:01");

    /// <summary>A placed link, with a key (which must never reach the JSON).</summary>
    public static LinkSpec Spec { get; } = new("l1", LinkKind.RawP2P,
        [new LinkEndpoint("h1", "vm1", Mac1, "192.0.2.10") { HostInterface = "vm1" }, new LinkEndpoint("h2", "vm2", Mac2, "198.51.100.10") { HostInterface = "vm2" }],
        LinkOptions.Default with { BandwidthBitsPerSecond = 20_000_000, DelayMs = 5 })
    { Protocol = 201, Key = [.. Enumerable.Repeat((byte)0x5a, LinkSpec.KeyLength)] };

    private static readonly LinkState State = new(Spec with { Key = ImmutableArray<byte>.Empty }, LinkPhase.Established, null,
        [new LinkEndState("h1", "vm1", LinkStatus.Established, 201, 0, 1462, "raw socket", null), new LinkEndState("h2", "vm2", LinkStatus.Established, 201, 0, 1462, "raw socket", null)]);

    private static readonly HostInfo Host = new("h1", "192.0.2.10",
        [new InterfaceInfo("eth0", "192.0.2.10", 24, MacAddress.Parse("02:aa:00:00:00:01"), "192.0.2.1", MacAddress.Parse("02:aa:00:00:00:fe"), 1500)],
        [new VmInfo("vm1", [new VmNic(Mac1, "vm1")], "running")], 0.25)
    { NodeAddress = "akka.tcp://vnet@192.0.2.10:4053", ReadAt = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc) };

    private static readonly DirectionCounters Counters = new(1200, 1_500_000, 1_560_000, ImmutableDictionary<string, long>.Empty.Add("shaper", 3)) { CompressedFrames = 0 };

    private static readonly NetworkDefinition Network = new("running", [new NetworkVm("vm1", Mac1, null), new NetworkVm("vm2", Mac2, "h2")],
        [new NetworkLink("l1", LinkKind.RawP2P, ["vm1", "vm2"], LinkOptions.Default with { BandwidthBitsPerSecond = 20_000_000 }, 201) { Line = 4, Column = 4 }]);

    private static readonly FoundEntry Found = new(Host with { Name = "h2", SubstrateAddress = "198.51.100.10" }, 2, 2.01, MemberState.Up);

    /// <summary>Every sample, requests each followed by their replies and items.</summary>
    public static ImmutableArray<ICommandMessage> All { get; } =
    [
        new CreateLink("l1", LinkKind.RawP2P, ["vm1", "vm2@h2"], LinkOptions.Default with { BandwidthBitsPerSecond = 20_000_000 }),
        new LinkCreated(State),
        new LinkRejected("l1", ["unknown VM 'vm9': no host in the cluster offers it"]),
        new GetLinks("l1"),
        new LinkList([State]),
        new SetLinkOptions("l1", new LinkOptionChanges { BandwidthBitsPerSecond = 60_000_000, LossPercent = 2 }),
        new LinkOptionsSet(State),
        new DeleteLink("l1"),
        new LinkDeleted("l1"),
        new GetLinkStats("l1"),
        new LinkStats([new LinkDirectionStats("l1", "h1", "vm->net", Counters), new LinkDirectionStats("l1", "h1", "net->vm", DirectionCounters.Empty)]),
        new CaptureLink("l1", "h1", false, 10, "icmp or arp", 64 << 20),
        new CaptureData("h1", [0xd4, 0xc3, 0xb2, 0xa1]),
        new LinkCaptured("l1", ["h1", "h2"], 10, 42, 6120, false),
        GetNetwork.Instance,
        new RunningNetwork(Network),
        new LoadNetwork("net.xml", "<network/>"u8.ToArray(), DryRun: false),
        new ApplyNetwork("net.xml", Network, DryRun: false),
        new NetworkLoaded("net.xml", false, [State], 1),
        new NetworkRejected("net.xml", [new FileProblem("net.xml", 3, 5, "unknown VM 'ghost': no host in the cluster offers it")]),
        new GetHosts(),
        new HostList([new HostEntry(Host, HostStatus.Up, 1, 1)]),
        new HostRejected("h9", ["no host 'h9' (known: h1, h2)"]),
        GetHostInfo.Instance,
        new HostDescribed(Host),
        GetHostLinks.Instance,
        new HostLinks("h1", [new HostLink(Spec with { Key = ImmutableArray<byte>.Empty }, LinkStatus.Established, null, 1462, Counters, DirectionCounters.Empty)]),
        GetMembers.Instance,
        new MemberList("h1", [new MemberEntry("akka.tcp://vnet@192.0.2.10:4053", "h1", "up", true, true, true, ["vnet"])]),
        GetClusterStatus.Instance,
        new ClusterStatus("h1", "akka.tcp://vnet@192.0.2.10:4053", "up"),
        GetLeader.Instance,
        new LeaderInfo("akka.tcp://vnet@192.0.2.10:4053", "akka.tcp://vnet@192.0.2.10:4053"),
        new LeaveCluster("akka.tcp://vnet@198.51.100.10:4053"),
        new LeavingCluster("akka.tcp://vnet@198.51.100.10:4053"),
        new ClusterRejected(["no member with address 'akka.tcp://vnet@203.0.113.9:4053' (see `vnet cluster show`)"]),
        DownUnreachable.Instance,
        new UnreachableDowned([]),
        new TailCluster(10),
        new MemberEvent(new DateTime(2026, 1, 1, 12, 0, 1, DateTimeKind.Utc), "up", "akka.tcp://vnet@198.51.100.10:4053", "up"),
        new TailEnded(3),
        new TailLog(NodeLogLevel.Info, 20, null),
        new LogLine(new DateTimeOffset(2026, 1, 1, 12, 0, 1, TimeSpan.Zero), NodeLogLevel.Info, "akka://vnet/user/host", "link l1 established"),
        new LogTailEnded(21),
        GetLogLevel.Instance,
        new LogLevelIs("h1", NodeLogLevel.Info),
        new SetLogLevel(NodeLogLevel.Debug),
        new LogLevelSet("h1", NodeLogLevel.Info, NodeLogLevel.Debug),
        GetActorSystem.Instance,
        new ActorSystemInfo("vnet", "akka.tcp://vnet@192.0.2.10:4053", "h1", TimeSpan.FromMinutes(90), "1.5.73.0", "10.0.0", 4242, 31, 96, 12),
        new GetActorHierarchy(2),
        new ActorHierarchy("h1", [new ActorNode("/user/host", 1), new ActorNode("/user/host/l1", 2)]),
        new SearchHosts(4, 1, 2),
        new SearchBegan("h1", 4, 1, 2, Host),
        new QueryWent(1, 0),
        new HostAnswered(Found),
        new SearchDone(SearchEnd.WantReached, 2, 2.05, [new QueryWent(1, 0), new QueryWent(2, 2)], Host, [Found]),
        new SearchRefused(["TTL 0 is out of range 1-255"]),
        GetDiscoveryStats.Instance,
        new DiscoveryCounters("h1", "239.192.76.2", 48600, ["eth0"], 12, 4, 8, 4, 0, 0, ImmutableDictionary<string, long>.Empty),
    ];
}
