using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using VNet.Actors.Discovery;
using VNet.Messages;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Tests.Discovery;

/// <summary>Discovery datagrams carry the cluster key's tag; without it nothing is answered or believed.</summary>
public sealed class DiscoverySealTests : TestKit
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly IPEndPoint Querier = new(IPAddress.Parse("192.0.2.99"), DiscoverySettings.DefaultPort);

    private static byte[] Sealed(byte[] datagram, byte[]? key = null)
    {
        var buffer = new byte[datagram.Length + DiscoverySeal.TagLength];
        DiscoverySeal.Seal(datagram, key ?? Key, buffer);
        return buffer;
    }

    [Fact]
    public void Vector_hmac_sha256_first_16_bytes_over_the_datagram()
    {
        // The first 16 bytes of HMAC-SHA256(key = 01 02 ... 20, "VNDS"), computed with openssl:
        // printf VNDS | openssl dgst -sha256 -mac HMAC -macopt hexkey:0102...1f20
        var sealedBytes = Sealed("VNDS"u8.ToArray());
        Assert.Equal("VNDS"u8.ToArray(), sealedBytes[..4]);
        Assert.Equal("A8FE5718618C0F74297ABACA6996688C", Convert.ToHexString(sealedBytes[4..]));
        Assert.True(DiscoverySeal.TryOpen(sealedBytes, Key, out var length));
        Assert.Equal(4, length);
    }

    [Fact]
    public void Any_changed_byte_a_wrong_key_or_a_short_datagram_fails()
    {
        var datagram = DiscoveryDatagram.Encode(new DiscoveryQuery(Guid.NewGuid(), 2, MemberState.Up, "h9", "", null));
        var good = Sealed(datagram);
        for (var i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x01;
            Assert.False(DiscoverySeal.TryOpen(bad, Key, out _), $"byte {i} changed");
        }
        Assert.False(DiscoverySeal.TryOpen(Sealed(datagram, new byte[32]), Key, out _));
        Assert.False(DiscoverySeal.TryOpen(good[..DiscoverySeal.TagLength], Key, out _));
        Assert.False(DiscoverySeal.TryOpen([], Key, out _));
        Assert.False(DiscoverySeal.TryOpen(datagram, Key, out _)); // unsealed
    }

    [Fact]
    public void A_node_with_the_key_ignores_unsealed_and_foreign_queries_and_answers_sealed_ones()
    {
        var fake = new FakeDiscoveryChannel();
        var topology = CreateTestProbe();
        var me = new HostInfo("h1", "192.0.2.10", [], [], 0.25) { NodeAddress = "akka.ssl.tcp://vnet@192.0.2.10:4053" };
        var discovery = Sys.ActorOf(DiscoveryActor.Props(new DiscoverySettings(), new DiscoveryIdentity("h1", me.NodeAddress!), new SealedDiscoveryChannel(fake, Key), () => me, topology));
        var query = DiscoveryDatagram.Encode(new DiscoveryQuery(Guid.NewGuid(), 1, MemberState.NotMember, "h9", "", null));
        fake.Deliver(query, Querier);                         // no tag
        fake.Deliver(Sealed(query, new byte[32]), Querier);  // another cluster's key
        // A spoofed answer with a tempting load, unsealed: never reaches the topology manager.
        fake.Deliver(DiscoveryDatagram.Encode(new DiscoveryAnswer(Guid.NewGuid(), 1, MemberState.Up, me with { Name = "h7" }, null)), Querier);
        AwaitAssert(() =>
        {
            discovery.Tell(GetStats.Instance);
            var stats = ExpectMsg<Stats>();
            Assert.Equal(3, stats.Received);
            Assert.Equal(3, stats.Malformed.GetValueOrDefault("unauthenticated"));
        }, TimeSpan.FromSeconds(5));
        Assert.True(fake.Answers.IsEmpty);
        fake.Deliver(Sealed(query), Querier);
        AwaitCondition(() => !fake.Answers.IsEmpty, TimeSpan.FromSeconds(5));
        fake.Answers.TryDequeue(out var answer);
        Assert.True(DiscoverySeal.TryOpen(answer.Datagram, Key, out var length));
        Assert.True(DiscoveryDatagram.TryDecode(answer.Datagram.AsSpan(0, length), out var decoded, out _));
        Assert.Equal("h1", Assert.IsType<DiscoveryAnswer>(decoded).Host.Name);
        topology.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
