using System.Net;
using System.Net.Sockets;
using System.Text;
using VNet.Capture.Frames;
using VNet.Capture.Transports;

namespace VNet.Capture.Tests.Transports;

/// <summary>
/// raw-p2p links are demultiplexed by (peer address, protocol number): real raw sockets on loopback
/// (the only addresses these tests use), several links sharing one number toward different peers.
/// The peers are played by a header-including raw socket that writes the source address itself.
/// </summary>
public class RawDemultiplexLoopbackTests
{
    private static readonly IPAddress Self = IPAddress.Loopback;
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);

    private static RawIpTransport Link(string peer, int protocol) => new(Self, IPAddress.Parse(peer), protocol, 0, 1 << 20, Timeout);

    /// <summary>Sends one IPv4 packet from <paramref name="source"/> to this host with <paramref name="protocol"/>.</summary>
    private static void SendAs(Socket raw, string source, int protocol, string payload)
    {
        var body = Encoding.ASCII.GetBytes(payload);
        var packet = new byte[20 + body.Length];
        packet[0] = 0x45;
        packet[2] = (byte)(packet.Length >> 8);
        packet[3] = (byte)packet.Length;
        packet[8] = 64;
        packet[9] = (byte)protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 12);
        Self.GetAddressBytes().CopyTo(packet, 16);
        body.CopyTo(packet, 20); // the kernel fills in the identification and the header checksum
        raw.SendTo(packet, new IPEndPoint(Self, 0));
    }

    /// <summary>Receives until <paramref name="expected"/> packets arrived (or 1 s passed), then takes whatever else is already queued.</summary>
    private static List<string> Drain(RawIpTransport link, PacketBatch batch, int expected)
    {
        var got = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        batch.DontWait = false;
        while (got.Count < expected && DateTime.UtcNow < deadline) Take(link, batch, got);
        batch.DontWait = true;
        Take(link, batch, got);
        return got;
    }

    private static void Take(RawIpTransport link, PacketBatch batch, List<string> got)
    {
        var n = link.Receive(batch);
        for (var i = 0; i < n; i++) got.Add(Encoding.ASCII.GetString(link.Payload(batch, i)));
    }

    [Fact]
    public void Links_sharing_a_number_toward_different_peers_each_get_only_their_peer_s_packets()
    {
        using var toB = Link("127.0.0.2", 200);
        using var toC = Link("127.0.0.3", 200);
        using var toBOther = Link("127.0.0.2", 201);
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);

        SendAs(raw, "127.0.0.2", 200, "b-200-1");
        SendAs(raw, "127.0.0.3", 200, "c-200");
        SendAs(raw, "127.0.0.2", 201, "b-201");
        SendAs(raw, "127.0.0.4", 200, "stranger-200");
        SendAs(raw, "127.0.0.2", 200, "b-200-2");

        using var batch = new PacketBatch(8, 2048);
        Assert.Equal(["b-200-1", "b-200-2"], Drain(toB, batch, 2));
        Assert.Equal(["c-200"], Drain(toC, batch, 1));
        Assert.Equal(["b-201"], Drain(toBOther, batch, 1));
    }

    [Fact]
    public void One_hundred_fifty_links_toward_two_peers_with_reused_numbers_stay_apart()
    {
        // 75 numbers toward each of two peers: 150 links on one host, past the 110 of the per-host rule.
        var links = new List<(string Peer, int Protocol, RawIpTransport Link)>();
        try
        {
            foreach (var peer in new[] { "127.0.0.2", "127.0.0.3" })
                for (var p = 143; p < 143 + 75; p++) links.Add((peer, p, Link(peer, p)));
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
            foreach (var (peer, protocol, _) in links) SendAs(raw, peer, protocol, $"{peer}/{protocol}");

            using var batch = new PacketBatch(8, 2048);
            foreach (var (peer, protocol, link) in links)
                Assert.Equal([$"{peer}/{protocol}"], Drain(link, batch, 1));
        }
        finally
        {
            foreach (var (_, _, link) in links) link.Dispose();
        }
    }
}
