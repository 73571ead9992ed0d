using System.Net;
using VNet.Capture.Forwarding;
using VNet.Capture.Frames;
using VNet.Capture.Tests.Forwarding;
using VNet.Capture.Transports;

namespace VNet.Capture.Tests.Transports;

/// <summary>
/// Real UDP sockets on loopback (the only address these tests use), with a path MTU of 1500 imposed
/// so that large capsules become trains: sent with UDP segmentation offload, read back with UDP_GRO.
/// </summary>
public class UdpTrainLoopbackTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    private static (UdpTransport a, UdpTransport b) Pair()
    {
        var portA = UdpTransport.FindFreePort(Loopback, 47000, 47999, new HashSet<int>());
        var portB = UdpTransport.FindFreePort(Loopback, portA + 1, 47999, new HashSet<int>());
        var a = new UdpTransport(Loopback, portA, Loopback, portB, 0, 4 << 20, TimeSpan.FromMilliseconds(200), pathMtu: 1500);
        var b = new UdpTransport(Loopback, portB, Loopback, portA, 0, 4 << 20, TimeSpan.FromMilliseconds(200), pathMtu: 1500);
        return (a, b);
    }

    private static byte[] Frame(int length, int seed)
    {
        var f = new byte[length];
        new Random(seed).NextBytes(f);
        return f;
    }

    [Fact]
    public void Frames_of_every_size_cross_through_the_real_forwarder_byte_for_byte()
    {
        var (a, b) = Pair();
        using var _a = a;
        using var _b = b;
        Assert.True(a.SegmentationOffload, "this kernel has UDP_SEGMENT (Linux 4.18+)");
        int[] sizes = [60, 1400, 1468, 1469, 3000, 9000, 65000, 65226, 64];
        var frames = sizes.Select((s, i) => Frame(s, i)).ToList();
        using var batch = new PacketBatch(16, VmToSubstrateForwarder.SlotSize);
        using var auth = new CapsuleAuthenticator(TestSecurity.Key);
        for (var i = 0; i < frames.Count; i++)
        {
            var slot = batch.Slot(i);
            var length = auth.Seal(slot, Capsule.Encode(frames[i], default, slot, false, out _, 0, (ulong)i + 1, false));
            batch.SetLength(i, length);
        }
        batch.Count = frames.Count;
        Assert.Equal(frames.Count, a.Send(batch));

        var tap = new MemoryTap();
        var stats = new DirectionStats();
        using var forwarder = new SubstrateToVmForwarder(b, tap, stats, TestSecurity.Receiver());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (tap.Injected.Count < frames.Count && DateTime.UtcNow < deadline) forwarder.RunOnce();
        Assert.Equal(frames.Select(Convert.ToHexString), tap.Injected.Select(Convert.ToHexString));
        Assert.Equal(0, stats.Drops.Sum());
    }

    [Fact]
    public void The_receiving_socket_gets_a_whole_train_in_one_read_with_its_segment_size()
    {
        var (a, b) = Pair();
        using var _a = a;
        using var _b = b;
        using var send = new PacketBatch(1, VmToSubstrateForwarder.SlotSize);
        var length = Capsule.Encode(Frame(60000, 42), send.Slot(0), false, out _);
        send.SetLength(0, length);
        send.Count = 1;
        Assert.Equal(1, a.Send(send));
        using var receive = new PacketBatch(4, VmToSubstrateForwarder.SlotSize + 64);
        Assert.Equal(1, b.Receive(receive));
        Assert.Equal(1500 - 28, b.CoalescedSegmentSize(receive, 0));
        Assert.Equal(length + 4 * Train.Segments(length, 1500 - 28 - 4), receive.Filled(0).Length);
    }
}
