using System.Buffers.Binary;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using VNet.Integration.Tests.Support;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// A two-hosts lab without links: each test creates one link between vm1 and vm2, then forges
/// capsules from the router namespace with h1's substrate address as source, toward h2 — the
/// spoofing the per-link key is there to stop. Traffic stays inside the lab's namespaces.
/// </summary>
public sealed class TwoHostsAttackLab : IAsyncLifetime
{
    public LabSession Session { get; private set; } = null!;

    public async Task InitializeAsync() => Session = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = false });

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>Forged, unauthenticated and replayed capsules never reach the VM; they are counted.</summary>
public sealed class CapsuleAuthenticationTests(TwoHostsAttackLab lab) : IClassFixture<TwoHostsAttackLab>
{
    private const string H1 = "192.0.2.10";
    private const ushort GenuineType = 0x88b8;
    private const ushort ForgedType = 0x88b7;
    private LabSession Session => lab.Session;

    [Theory]
    [InlineData("raw-p2p", false)]
    [InlineData("udp-p2p", false)]
    [InlineData("udp-p2p", true)]
    public async Task Spoofed_unauthenticated_forged_and_replayed_capsules_are_dropped_and_counted(string kind, bool encrypt)
    {
        var id = $"a-{kind}{(encrypt ? "-e" : "")}";
        var link = await Session.CreateLinkAsync(id, kind, "vm1,vm2", LinkOptions.Default with { Encrypt = encrypt });
        try
        {
            var protocol = link.Link.Protocol;
            // `link show --json` (the reply record) never carries the link key.
            Assert.DoesNotContain("key", CommandJson.Serialize(await Session.ReplyAsync<LinkList>("h1", new GetLinks(id))), StringComparison.OrdinalIgnoreCase);
            // 1. A genuine capsule, as it arrives at h2 from the router: the template and the replay.
            var template = CaptureGenuineCapsule(kind, protocol);
            var capsule = Payload(template, kind);
            Assert.Equal(3, capsule[0] >> 4);
            Assert.Equal(encrypt, (capsule[0] & 0x4) != 0);

            var before = await Drops(id);
            using var atVm2 = FrameCapture.Start(Session.Ns("vm2"), "eth0", $"ether proto 0x{GenuineType:x4} or ether proto 0x{ForgedType:x4}", Session.State.Directory, direction: "in");
            using (var router = PacketSocket.Open(Session.Ns("r"), "to-h2"))
            {
                var inner = InnerFrame(ForgedType);
                for (var i = 0; i < 3; i++)
                {
                    // The replay of the genuine capsule, byte for byte (headers redone only for the UDP
                    // checksum, which the capture may show unfinished: checksum offload).
                    router.Send(WithPayload(template, kind, capsule));
                    // An old-style (version 1) capsule with no authenticator.
                    router.Send(WithPayload(template, kind, [0x10, 0, (byte)(inner.Length >> 8), (byte)inner.Length, .. inner]));
                    // A new-format capsule with a fresh sequence number and a wrong tag.
                    var forged = (byte[])capsule.Clone();
                    BinaryPrimitives.WriteUInt64BigEndian(forged.AsSpan(8), BinaryPrimitives.ReadUInt64BigEndian(forged.AsSpan(8)) + 1_000_000 + (ulong)i);
                    forged[^1] ^= 0x5a;
                    router.Send(WithPayload(template, kind, forged));
                    // A well-formed new-format capsule of another frame, tag made up.
                    byte[] madeUp = [0x30, 0, (byte)(inner.Length >> 8), (byte)inner.Length, .. capsule.AsSpan(4, 4), .. new byte[7], (byte)(200 + i), .. inner, .. new byte[16]];
                    router.Send(WithPayload(template, kind, madeUp));
                }
            }
            var arrived = atVm2.Stop(TimeSpan.FromSeconds(1.5));
            Assert.True(arrived.Count == 0, $"{arrived.Count} forged or replayed frame(s) reached vm2");

            var final = before;
            for (var i = 0; i < 20 && (final.AuthFailed - before.AuthFailed < 9 || final.Replayed - before.Replayed < 3); i++)
            {
                await Task.Delay(250);
                final = await Drops(id);
            }
            Assert.True((9L, 3L) == (final.AuthFailed - before.AuthFailed, final.Replayed - before.Replayed),
                $"auth-failed +{final.AuthFailed - before.AuthFailed}, replayed +{final.Replayed - before.Replayed} (expected +9, +3): {await StatsText(id)}");

            // Forgeries did not move the replay window: genuine traffic still crosses.
            var ping = Measurements.Ping(Session.Ns("vm1"), "10.250.0.2", count: 3);
            Assert.True(ping.Received == 3, $"{ping.Received}/3 after the forgeries");
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink(id));
            await Session.WaitUntilAsync(async () => (await Session.ReplyAsync<LinkList>("h1", new GetLinks())).Links.IsEmpty, TimeSpan.FromSeconds(15), $"link {id} gone");
        }
    }

    private byte[] InnerFrame(ushort type)
    {
        var vm2 = new byte[6];
        var vm1 = new byte[6];
        Session.Mac("vm2").WriteTo(vm2);
        Session.Mac("vm1").WriteTo(vm1);
        return [.. vm2, .. vm1, (byte)(type >> 8), (byte)type, .. "VNet capsule authentication test frame, 46+ bytes"u8];
    }

    /// <summary>Sends a frame from vm1 and returns the substrate frame carrying its capsule as h2 receives it.</summary>
    private byte[] CaptureGenuineCapsule(string kind, int protocol)
    {
        var filter = kind == "raw-p2p" ? $"src host {H1} and ip proto {protocol}" : $"src host {H1} and udp and not dst net 224.0.0.0/4";
        using var capture = FrameCapture.Start(Session.Ns("h2"), "eth0", filter, Session.State.Directory, direction: "in", count: 20);
        var frame = InnerFrame(GenuineType);
        using (var vm1 = PacketSocket.Open(Session.Ns("vm1"), "eth0"))
            vm1.Send(frame);
        var frames = capture.Stop(TimeSpan.FromSeconds(1));
        // The capsule of that frame: version 3 and the length of the frame with header and tag.
        return frames.FirstOrDefault(f => Payload(f, kind) is { Length: > 0 } p && p[0] >> 4 == 3 && p.Length == frame.Length + 32)
            ?? throw new InvalidOperationException($"no capsule of the genuine frame seen at h2 ({frames.Count} packets)");
    }

    private static int IpHeader(byte[] frame) => (frame[14] & 0x0f) * 4;

    private static byte[] Payload(byte[] frame, string kind)
    {
        var offset = 14 + IpHeader(frame) + (kind == "raw-p2p" ? 0 : 8);
        return frame.Length > offset ? frame[offset..] : [];
    }

    /// <summary>The template's Ethernet and IP (and UDP) headers around another capsule, lengths and IP checksum redone, no UDP checksum.</summary>
    private static byte[] WithPayload(byte[] template, string kind, byte[] capsule)
    {
        var ip = IpHeader(template);
        var headers = 14 + ip + (kind == "raw-p2p" ? 0 : 8);
        var frame = new byte[headers + capsule.Length];
        template.AsSpan(0, headers).CopyTo(frame);
        capsule.CopyTo(frame.AsSpan(headers));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(frame.Length - 14));
        frame[24] = frame[25] = 0;
        uint sum = 0;
        for (var i = 0; i < ip; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + i));
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), (ushort)~sum);
        if (kind != "raw-p2p")
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + ip + 4), (ushort)(8 + capsule.Length));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + ip + 6), 0); // no checksum (allowed on IPv4)
        }
        return frame;
    }

    private async Task<string> StatsText(string id) => CommandJson.Serialize(await Session.ReplyAsync<LinkStats>("h1", new GetLinkStats(id)));

    private async Task<(long AuthFailed, long Replayed)> Drops(string id)
    {
        var stats = await Session.ReplyAsync<LinkStats>("h1", new GetLinkStats(id));
        var drops = stats.Directions.Single(d => d.Host == "h2" && d.Direction == "net->vm").Counters.Drops;
        return (drops.GetValueOrDefault("auth-failed"), drops.GetValueOrDefault("replayed"));
    }
}
