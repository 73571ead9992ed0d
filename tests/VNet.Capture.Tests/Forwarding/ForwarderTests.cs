using System.Diagnostics;
using VNet.Capture.Forwarding;
using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Capture.Tests.Forwarding;

/// <summary>A VM interface in memory: frames to capture are queued, injected frames are kept.</summary>
internal sealed class MemoryTap : IFrameTap
{
    public Queue<byte[]> ToCapture { get; } = new();
    public List<byte[]> Injected { get; } = new();
    public string Interface => "mem0";

    public int Dispatch(IFrameSink sink, int maxFrames, int timeoutMicros)
    {
        var n = 0;
        while (n < maxFrames && ToCapture.TryDequeue(out var f)) { sink.OnFrame(f); n++; }
        if (n == 0) Thread.Sleep(Math.Min(5, timeoutMicros / 1000));
        return n;
    }

    public bool Inject(ReadOnlySpan<byte> frame) { Injected.Add(frame.ToArray()); return true; }
    public void Break() { }
    public void Dispose() { }
}

/// <summary>A substrate in memory: what is sent is kept, what is to be received is queued.</summary>
internal sealed class MemoryTransport : ITransport
{
    public List<byte[]> Sent { get; } = new();
    public Queue<byte[]> ToReceive { get; } = new();
    public HashSet<int> Foreign { get; } = new();
    public string Description => "memory";
    public int Overhead => 20;
    public int PathMtu => 1500;

    public int Send(PacketBatch batch)
    {
        for (var i = 0; i < batch.Count; i++) Sent.Add(batch.Filled(i).ToArray());
        return batch.Count;
    }

    public int Receive(PacketBatch batch)
    {
        var n = 0;
        while (n < batch.Capacity && ToReceive.TryDequeue(out var c))
        {
            c.CopyTo(batch.Slot(n));
            batch.SetLength(n, c.Length);
            n++;
        }
        batch.Count = n;
        return n;
    }

    public ReadOnlySpan<byte> Payload(PacketBatch batch, int index) => Foreign.Contains(index) ? default : batch.Filled(index);

    /// <summary>Received slots that hold several datagrams of this size, as UDP_GRO hands them over.</summary>
    public Dictionary<int, int> Coalesced { get; } = new();
    public int CoalescedSegmentSize(PacketBatch batch, int index) => Coalesced.GetValueOrDefault(index);
    public void SetTos(int tos) { }
    public void Dispose() { }
}

public class ForwarderTests
{
    private static byte[] Frame(int length, byte fill = 0)
    {
        var f = new byte[length];
        if (fill == 0) new Random(length).NextBytes(f); else Array.Fill(f, fill);
        return f;
    }

    private static byte[] Encode(byte[] frame, bool compress, ulong sequence) => TestSecurity.Seal(frame, sequence, compress);

    [Fact]
    public void Captured_frames_leave_as_capsules_and_are_counted()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new VmToSubstrateForwarder(tap, transport, stats, () => LinkOptions.Default, TestSecurity.Sender());
        var frames = Enumerable.Range(0, 40).Select(i => Frame(60 + i)).ToList();
        foreach (var fr in frames) tap.ToCapture.Enqueue(fr);
        f.RunOnce();
        f.RunOnce();
        Assert.Equal(frames.Select((fr, i) => Convert.ToHexString(Encode(fr, false, (ulong)i + 1))), transport.Sent.Select(Convert.ToHexString));
        Assert.Equal(40, stats.Frames);
        Assert.Equal(frames.Sum(fr => fr.Length), stats.Bytes);
    }

    [Fact]
    public void Compression_on_sends_compressible_frames_compressed()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new VmToSubstrateForwarder(tap, transport, stats, () => new LinkOptions { Compression = Compression.Lz4 }, TestSecurity.Sender());
        tap.ToCapture.Enqueue(Frame(1400, 0x55));
        tap.ToCapture.Enqueue(Frame(1400));
        f.RunOnce();
        Assert.Equal(0x31, transport.Sent[0][0]);
        Assert.True(transport.Sent[0].Length < 100);
        Assert.Equal(0x30, transport.Sent[1][0]);
        Assert.Equal(1, stats.Compressed);
    }

    [Fact]
    public void A_frame_no_capsule_can_hold_is_dropped_as_oversize_and_a_large_one_is_counted_as_fragmented()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new VmToSubstrateForwarder(tap, transport, stats, () => LinkOptions.Default, TestSecurity.Sender());
        tap.ToCapture.Enqueue(Frame(65535)); // with its capsule header, more than one IPv4 datagram holds
        tap.ToCapture.Enqueue(Frame(9000));
        f.RunOnce();
        Assert.Equal(1, stats.Drops[(int)DropReason.Oversize]);
        Assert.Equal(1, stats.Fragmented);
        Assert.Single(transport.Sent);
    }

    [Fact]
    public void Delay_holds_frames_until_their_time()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new VmToSubstrateForwarder(tap, transport, stats, () => new LinkOptions { DelayMs = 50 }, TestSecurity.Sender());
        tap.ToCapture.Enqueue(Frame(100));
        var start = Stopwatch.StartNew();
        f.RunOnce();
        Assert.Empty(transport.Sent);
        while (transport.Sent.Count == 0 && start.ElapsedMilliseconds < 1000) f.RunOnce();
        Assert.Single(transport.Sent);
        Assert.InRange(start.ElapsedMilliseconds, 45, 500);
    }

    [Fact]
    public void Received_capsules_are_injected_and_bad_or_foreign_ones_counted()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new SubstrateToVmForwarder(transport, tap, stats, TestSecurity.Receiver());
        var good = Frame(300);
        var packed = Frame(1000, 0x42);
        transport.ToReceive.Enqueue(Encode(good, false, 1));
        transport.ToReceive.Enqueue([0x30, 0, 0, 9, 1, 2]);           // shorter than a header and a tag
        transport.ToReceive.Enqueue(Encode(packed, true, 2));
        transport.ToReceive.Enqueue(Encode(good, false, 3));
        transport.Foreign.Add(3);                                     // the 4th is from a stranger
        f.RunOnce();
        Assert.Equal([Convert.ToHexString(good), Convert.ToHexString(packed)], tap.Injected.Select(Convert.ToHexString));
        Assert.Equal(1, stats.Drops[(int)DropReason.DecodeError]);
        Assert.Equal(1, stats.Drops[(int)DropReason.Foreign]);
        Assert.Equal(2, stats.Frames);
        Assert.Equal(1, stats.Compressed);
    }
}

/// <summary>The forwarders with the link key: what one end seals the other opens; forgeries and replays stop at the receiver.</summary>
public class AuthenticatedForwardingTests
{
    private static byte[] Frame(int length, int seed)
    {
        var f = new byte[length];
        new Random(seed).NextBytes(f);
        return f;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Frames_cross_from_sender_to_receiver_sealed_and_encrypted_when_asked(bool encrypt, bool compress)
    {
        var captureTap = new MemoryTap();
        var substrate = new MemoryTransport();
        var options = new LinkOptions { Encrypt = encrypt, Compression = compress ? Compression.Lz4 : Compression.None };
        using var sender = new VmToSubstrateForwarder(captureTap, substrate, new DirectionStats(), () => options, TestSecurity.Sender());
        var frames = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? Frame(200 + i, i) : Enumerable.Repeat((byte)i, 900).ToArray()).ToList();
        foreach (var f in frames) captureTap.ToCapture.Enqueue(f);
        sender.RunOnce();
        Assert.Equal(10, substrate.Sent.Count);
        Assert.All(substrate.Sent, c => Assert.Equal(encrypt, (c[0] & VNet.Capture.Frames.Capsule.FlagEncrypted) != 0));
        // Sequence numbers 1, 2, 3 ... from sender id 0.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), substrate.Sent.Select(c => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(c.AsSpan(8))));
        if (encrypt) Assert.DoesNotContain(substrate.Sent, c => c.AsSpan().IndexOf(frames[0].AsSpan(20, 40)) >= 0);

        var injectTap = new MemoryTap();
        var receiveStats = new DirectionStats();
        var incoming = new MemoryTransport();
        foreach (var c in substrate.Sent) incoming.ToReceive.Enqueue(c);
        using var receiver = new SubstrateToVmForwarder(incoming, injectTap, receiveStats, TestSecurity.Receiver());
        receiver.RunOnce();
        Assert.Equal(frames.Select(Convert.ToHexString), injectTap.Injected.Select(Convert.ToHexString));
        Assert.Equal(0, receiveStats.Drops.Sum());
    }

    [Fact]
    public void Replays_forgeries_wrong_keys_unauthenticated_and_reflected_capsules_are_dropped_and_counted()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        var frame = Frame(100, 1);
        var genuine = TestSecurity.Seal(frame, 5);
        var tampered = TestSecurity.Seal(frame, 6);
        tampered[40] ^= 1;
        var otherKey = (byte[])TestSecurity.Key.Clone();
        otherKey[0] ^= 0xff;
        byte[] unauthenticated = [0x10, 0, 0, 100, .. frame];
        transport.ToReceive.Enqueue(genuine);
        transport.ToReceive.Enqueue(genuine);                                          // replayed
        transport.ToReceive.Enqueue(tampered);                                         // auth-failed
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 7, key: otherKey));       // auth-failed
        transport.ToReceive.Enqueue(unauthenticated);                                  // auth-failed
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 8, sender: 1));           // the receiver's own id: auth-failed
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 9, sender: 2));           // no such member: auth-failed
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 0));                      // sequence 0: replayed
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 6));                      // 6 was only forged: the window did not take it
        var security = TestSecurity.Receiver();
        using (var f = new SubstrateToVmForwarder(transport, tap, stats, security)) f.RunOnce();
        Assert.Equal(2, tap.Injected.Count);
        Assert.Equal(5, stats.Drops[(int)DropReason.AuthFailed]);
        Assert.Equal(2, stats.Drops[(int)DropReason.Replayed]);
        Assert.Equal(2, stats.Frames);
        Assert.Equal(["auth-failed", "replayed"], stats.Snapshot().Drops.Keys.Order().ToArray());

        // A restarted receiving worker shares the link's window: the old capsules stay refused.
        transport.ToReceive.Enqueue(genuine);
        using (var f = new SubstrateToVmForwarder(transport, tap, stats, security)) f.RunOnce();
        Assert.Equal(3, stats.Drops[(int)DropReason.Replayed]);
    }

    [Fact]
    public void A_restarted_sending_worker_continues_the_sequence_so_no_nonce_is_used_twice()
    {
        var security = TestSecurity.Sender();
        var transport = new MemoryTransport();
        for (var run = 0; run < 2; run++)
        {
            var tap = new MemoryTap();
            tap.ToCapture.Enqueue(Frame(80, run));
            using var f = new VmToSubstrateForwarder(tap, transport, new DirectionStats(), () => LinkOptions.Default, security);
            f.RunOnce();
        }
        Assert.Equal([1UL, 2UL], transport.Sent.Select(c => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(c.AsSpan(8))).ToArray());
    }
}

/// <summary>The forwarders of a link with authentication off: no tag, no check; a mismatch of the setting is a counted drop.</summary>
public class UnauthenticatedForwardingTests
{
    private static byte[] Frame(int length, int seed)
    {
        var f = new byte[length];
        new Random(seed).NextBytes(f);
        return f;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Frames_cross_without_a_tag(bool compress)
    {
        var captureTap = new MemoryTap();
        var substrate = new MemoryTransport();
        var options = new LinkOptions { Authenticate = false, Compression = compress ? Compression.Lz4 : Compression.None };
        using var sender = new VmToSubstrateForwarder(captureTap, substrate, new DirectionStats(), () => options, TestSecurity.UnauthenticatedSender());
        var frames = Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? Frame(200 + i, i) : Enumerable.Repeat((byte)i, 900).ToArray()).ToList();
        foreach (var f in frames) captureTap.ToCapture.Enqueue(f);
        sender.RunOnce();
        Assert.Equal(6, substrate.Sent.Count);
        Assert.All(substrate.Sent, c => Assert.Equal(Capsule.FlagUnauthenticated, c[0] & (Capsule.FlagUnauthenticated | Capsule.FlagEncrypted)));
        Assert.Equal(frames[0].Length + Capsule.HeaderLength, substrate.Sent[0].Length);

        var injectTap = new MemoryTap();
        var receiveStats = new DirectionStats();
        var incoming = new MemoryTransport();
        foreach (var c in substrate.Sent) incoming.ToReceive.Enqueue(c);
        incoming.ToReceive.Enqueue(substrate.Sent[0]); // no replay window with auth off: a repeated capsule passes too
        using var receiver = new SubstrateToVmForwarder(incoming, injectTap, receiveStats, TestSecurity.UnauthenticatedReceiver());
        receiver.RunOnce();
        Assert.Equal(frames.Append(frames[0]).Select(Convert.ToHexString), injectTap.Injected.Select(Convert.ToHexString));
        Assert.Equal(0, receiveStats.Drops.Sum());
    }

    [Fact]
    public void A_stray_encrypt_option_is_not_applied_without_the_authenticator()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        using var f = new VmToSubstrateForwarder(tap, transport, new DirectionStats(), () => new LinkOptions { Authenticate = false, Encrypt = true }, TestSecurity.UnauthenticatedSender());
        tap.ToCapture.Enqueue(Frame(100, 1));
        f.RunOnce();
        Assert.Equal(Capsule.FlagUnauthenticated, Assert.Single(transport.Sent)[0] & 0xf);
    }

    [Fact]
    public void An_authenticating_receiver_refuses_a_capsule_without_tag_and_counts_it()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        var frame = Frame(100, 2);
        transport.ToReceive.Enqueue(TestSecurity.Unsealed(frame, 1));
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 2));
        using (var f = new SubstrateToVmForwarder(transport, tap, stats, TestSecurity.Receiver())) f.RunOnce();
        Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(Assert.Single(tap.Injected)));
        Assert.Equal(1, stats.Drops[(int)DropReason.AuthFailed]);
        Assert.Equal(1, stats.Frames);
    }

    [Fact]
    public void A_receiver_with_auth_off_refuses_a_sealed_capsule_and_counts_it()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        var frame = Frame(100, 3);
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 1));
        transport.ToReceive.Enqueue(TestSecurity.Seal(frame, 2, encrypt: true));
        transport.ToReceive.Enqueue([0x38, 0, 0]);                                  // shorter than a header
        transport.ToReceive.Enqueue(TestSecurity.Unsealed(frame, 3));
        using (var f = new SubstrateToVmForwarder(transport, tap, stats, TestSecurity.UnauthenticatedReceiver())) f.RunOnce();
        Assert.Single(tap.Injected);
        Assert.Equal(2, stats.Drops[(int)DropReason.AuthFailed]);
        Assert.Equal(1, stats.Drops[(int)DropReason.DecodeError]);
    }
}

/// <summary>The receiving forwarder with slots that hold several datagrams (UDP_GRO) and with trains.</summary>
public class TrainReceiveTests
{
    private readonly MemoryTap _tap = new();
    private readonly MemoryTransport _transport = new();
    private readonly DirectionStats _stats = new();
    private readonly LinkSecurity _security = TestSecurity.Receiver(); // one per test: the replay window outlives each forwarder

    private ulong _sequence;

    private byte[] Capsule(byte[] frame) => TestSecurity.Seal(frame, ++_sequence);

    private static byte[] Frame(Random rng, int length)
    {
        var f = new byte[length];
        rng.NextBytes(f);
        return f;
    }

    private void RunOnce()
    {
        using var f = new SubstrateToVmForwarder(_transport, _tap, _stats, _security);
        f.RunOnce();
    }

    [Fact]
    public void A_slot_holding_several_datagrams_gives_each_frame_and_a_whole_train_in_order()
    {
        var rng = new Random(5);
        var small = Enumerable.Range(0, 3).Select(_ => Frame(rng, 100 - VNet.Capture.Frames.Capsule.Overhead)).ToList();
        var large = Frame(rng, 5000);
        // Slot 0: three 100-byte capsules coalesced (64-byte frames). Slot 1: the six segments of a train (5032-byte capsule in pieces of 1000).
        _transport.ToReceive.Enqueue([.. small.SelectMany(Capsule)]);
        _transport.Coalesced[0] = 100;
        _transport.ToReceive.Enqueue([.. Train.Split(Capsule(large), 1000, 9).SelectMany(s => s)]);
        _transport.Coalesced[1] = 1004;
        RunOnce();
        Assert.Equal([.. small.Select(Convert.ToHexString), Convert.ToHexString(large)], _tap.Injected.Select(Convert.ToHexString));
        Assert.Equal(0, _stats.Drops.Sum());
        Assert.Equal(4, _stats.Frames);
    }

    [Fact]
    public void A_train_missing_a_segment_is_counted_once_and_the_next_frame_arrives()
    {
        var rng = new Random(6);
        var lostFrame = Frame(rng, 5000);
        var goodFrame = Frame(rng, 3000);
        var lost = Train.Split(Capsule(lostFrame), 1000, 1);
        lost.RemoveAt(2);                                              // segment 2 never arrives
        foreach (var segment in lost.Concat(Train.Split(Capsule(goodFrame), 1000, 2))) _transport.ToReceive.Enqueue(segment);
        RunOnce();
        Assert.Equal([Convert.ToHexString(goodFrame)], _tap.Injected.Select(Convert.ToHexString));
        Assert.Equal(1, _stats.Drops[(int)DropReason.DecodeError]);
        Assert.Equal(1, _stats.Frames);
    }
}

public class AdaptiveCompressionTests
{
    [Fact]
    public void Incompressible_traffic_stops_being_tried_and_compressible_traffic_is_caught_again_within_64_frames()
    {
        var tap = new MemoryTap();
        var transport = new MemoryTransport();
        var stats = new DirectionStats();
        using var f = new VmToSubstrateForwarder(tap, transport, stats, () => new LinkOptions { Compression = Compression.Lz4 }, TestSecurity.Sender());
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var frame = new byte[1400];
            random.NextBytes(frame);
            tap.ToCapture.Enqueue(frame);
        }
        for (var i = 0; i < 100; i++) tap.ToCapture.Enqueue(Enumerable.Repeat((byte)7, 1400).ToArray());
        while (tap.ToCapture.Count > 0) f.RunOnce();
        Assert.Equal(300, transport.Sent.Count);
        // Every compressible frame from the 65th on went compressed, and every capsule decodes.
        Assert.All(transport.Sent.Skip(200 + 64), c => Assert.Equal(0x31, c[0]));
        Assert.InRange(stats.Compressed, 36, 100);
        using var auth = new CapsuleAuthenticator(TestSecurity.Key);
        Assert.All(transport.Sent, c =>
        {
            Assert.True(auth.Open(c, out var length));
            Assert.Equal(VNet.Capture.Frames.CapsuleStatus.Ok, VNet.Capture.Frames.Capsule.Decode(c.AsSpan(0, length), new byte[2000], out _, out _));
        });
    }
}
