using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Capture.Transports;

namespace VNet.Capture.Forwarding;

/// <summary>
/// The paper's TCF/TEV path: capsules from the link's peers are received a batch at a time,
/// decoded and injected into the VM's interface. One thread calls <see cref="RunOnce"/> in a loop.
/// </summary>
public sealed unsafe class SubstrateToVmForwarder : IForwarder, IDisposable
{
    private readonly ITransport _transport;
    private readonly IFrameTap _tap;
    private readonly DirectionStats _stats;
    private readonly PacketBatch _batch;
    private readonly LinkSecurity _security;
    private readonly CapsuleAuthenticator _auth; // one per forwarder, created at start: AesGcm is not thread-safe
    private readonly bool _authenticate; // fixed for the link's life (LinkSecurity.Authenticate)
    // One decompression area per queued frame: queued frames must stay put until they are flushed.
    private const int ScratchSlot = PacketSocketTap.MaxFrame;
    private readonly byte* _scratch;

    private readonly long _spinTicks;
    private long _lastActivity;
    private readonly TrainReassembler _trains;
    private int _queued;                 // frames queued for injection since the last flush

    /// <summary>Creates the forwarder; <paramref name="spinMicros"/> &gt; 0 keeps polling that long after traffic before sleeping.</summary>
    public SubstrateToVmForwarder(ITransport transport, IFrameTap tap, DirectionStats stats, LinkSecurity security, int batchSize = 64, int spinMicros = 0)
    {
        _security = security;
        _auth = security.CreateAuthenticator();
        _authenticate = security.Authenticate;
        _spinTicks = spinMicros * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        _transport = transport;
        _tap = tap;
        _stats = stats;
        // Received raw packets include the IPv4 header (at most 60 bytes) before the largest capsule.
        _batch = new PacketBatch(batchSize, VmToSubstrateForwarder.SlotSize + 64);
        _scratch = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(batchSize * ScratchSlot));
        _trains = new TrainReassembler(batchSize, VmToSubstrateForwarder.SlotSize);
    }

    /// <summary>Waits for capsules (up to the transport's receive timeout), injects them, returns how many (a thread of its own).</summary>
    public int RunOnce() =>
        // Spinning: right after traffic, look again without sleeping (trades CPU for wake-up latency).
        Run(dontWait: _spinTicks > 0 && System.Diagnostics.Stopwatch.GetTimestamp() - _lastActivity < _spinTicks);

    /// <inheritdoc/>
    public int WaitFd => _transport.ReceiveFd;

    /// <summary>Injects the capsules that are waiting, without waiting for more (a thread of the <see cref="ForwarderPool"/>).</summary>
    public int Step() => Run(dontWait: true, pooled: true);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private int Run(bool dontWait, bool pooled = false)
    {
        _batch.DontWait = dontWait;
        var n = _transport.Receive(_batch);
        if (n == 0 && dontWait && !pooled) Thread.Yield();
        if (n > 0 && _spinTicks > 0) _lastActivity = System.Diagnostics.Stopwatch.GetTimestamp();
        if (n > 0 && _transport.ReceiveDrops(_batch) is >= 0 and var dropped) _stats.Drops[(int)DropReason.SocketOverflow] = dropped;
        for (var i = 0; i < n; i++)
        {
            var payload = _transport.Payload(_batch, i);
            if (payload.IsEmpty)
            {
                _stats.Drop(DropReason.Foreign);
                continue;
            }
            // With UDP_GRO one slot may hold several datagrams of one size (the last may be shorter).
            var size = _transport.CoalescedSegmentSize(_batch, i);
            var source = _transport.Source(_batch, i);
            if (size <= 0 || size >= payload.Length)
            {
                Deliver(source, payload);
                continue;
            }
            for (var offset = 0; offset < payload.Length; offset += size)
                Deliver(source, payload.Slice(offset, Math.Min(size, payload.Length - offset)));
        }
        if (n > 0) Flush();
        return n;
    }

    /// <summary>Decodes one datagram (a capsule, or a segment of a train) and queues its frame for the VM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private void Deliver(uint source, ReadOnlySpan<byte> datagram)
    {
        var capsule = datagram;
        if (Train.IsSegment(datagram))
        {
            if (_trains.IsFull) Flush(); // capsules that did not decode hold regions too
            var status = _trains.Add(source, datagram, out capsule, out var lost);
            if (lost > 0) _stats.Drop(DropReason.DecodeError);          // a train given up, once
            if (status == TrainStatus.Dropped) _stats.Drop(DropReason.DecodeError); // a segment of no train
            if (status != TrainStatus.Complete) return;
        }
        if (!Admit(capsule, out var sealedLength)) return;
        var scratch = new Span<byte>(_scratch + _queued * ScratchSlot, ScratchSlot);
        if (Capsule.Decode(capsule[..sealedLength], scratch, out var frame, out var compressed, out var offload) != CapsuleStatus.Ok)
        {
            _stats.Drop(DropReason.DecodeError);
            return;
        }
        // The frame lies in native memory (the receive slot, a train region or this frame's scratch) until the flush.
        fixed (byte* f = frame) _tap.Queue(f, frame.Length, offload);
        _queued++;
        _stats.Frames++;
        _stats.Bytes += frame.Length;
        _stats.WireBytes += capsule.Length;
        if (compressed) _stats.Compressed++;
        if (_queued == _batch.Capacity) Flush();
    }

    /// <summary>
    /// Decides whether a capsule may be decoded, counting the drop when not; true with the length of
    /// the capsule without its tag. With authentication on: the replay window first (cheap), then the
    /// tag, and only a genuine capsule moves the window. With it off (a trusted substrate): only the
    /// header's flag N is checked, nothing else; a capsule with a tag is refused either way round.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase
    private bool Admit(ReadOnlySpan<byte> capsule, out int sealedLength)
    {
        sealedLength = 0;
        if (!_authenticate)
        {
            var status = Capsule.CheckUnauthenticated(capsule);
            if (status != CapsuleStatus.Ok)
            {
                _stats.Drop(status == CapsuleStatus.Authenticated ? DropReason.AuthFailed : DropReason.DecodeError);
                return false;
            }
            sealedLength = capsule.Length;
            return true;
        }
        if (!Capsule.TryReadSender(capsule, out var sender, out var sequence, out var headerStatus))
        {
            _stats.Drop(headerStatus == CapsuleStatus.Unauthenticated ? DropReason.AuthFailed : DropReason.DecodeError);
            return false;
        }
        var window = _security.WindowOf(sender);
        if (window is null)
        {
            _stats.Drop(DropReason.AuthFailed); // no peer of this link sends with that id
            return false;
        }
        if (!window.Check(sequence))
        {
            _stats.Drop(DropReason.Replayed);
            return false;
        }
        // The capsule lies in memory this forwarder owns (a receive slot or a train region), so an
        // encrypted body may be decrypted in place.
        var writable = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(capsule), capsule.Length);
        if (!_auth.Open(writable, out sealedLength))
        {
            _stats.Drop(DropReason.AuthFailed);
            return false;
        }
        window.Accept(sequence);
        return true;
    }

    /// <summary>Injects the queued frames; their scratch areas and train regions are free again.</summary>
    private void Flush()
    {
        if (_queued > 0 && _tap.FlushQueued() is > 0 and var failed)
        {
            _stats.Drops[(int)DropReason.InjectError] += failed;
            _stats.Frames -= failed;
        }
        _queued = 0;
        _trains.Release();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _batch.Dispose();
        _trains.Dispose();
        _auth.Dispose();
        System.Runtime.InteropServices.NativeMemory.Free(_scratch);
    }
}
