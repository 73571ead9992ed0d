using System.Runtime.CompilerServices;
using System.Diagnostics;
using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Capture.Forwarding;

/// <summary>
/// The paper's TCV/TEF path: frames the VM sends are captured, put into capsules and sent over
/// the substrate, a batch per wake-up. Loss, shaping and delay (<see cref="FrameScheduler"/>)
/// are applied here, on the sending side; frames held back wait in a <see cref="DelayLine"/>.
/// One thread calls <see cref="RunOnce"/> in a loop; nothing is allocated per frame.
/// </summary>
public sealed class VmToSubstrateForwarder : IFrameSink, IForwarder, IDisposable
{
    /// <summary>Bytes per batch slot: the largest frame (a 64 KB TSO super-frame) with the capsule and offload headers and the tag.</summary>
    public const int SlotSize = PacketSocketTap.MaxFrame + Capsule.Overhead + OffloadHeader.Length;

    /// <summary>Longest wait for frames when nothing is queued, in microseconds.</summary>
    public const int IdleWaitMicros = 100_000;

    private readonly IFrameTap _tap;
    private readonly ITransport _transport;
    private readonly DirectionStats _stats;
    private readonly PacketBatch _batch;
    private readonly Func<LinkOptions> _options;
    private readonly LinkSecurity _security;
    private readonly CapsuleAuthenticator _auth; // one per forwarder: AesGcm is not thread-safe, and creating it per frame would allocate
    private bool _encrypt;
    private readonly bool _authenticate; // fixed for the link's life (LinkSecurity.Authenticate)
    private readonly int _maxUnfragmentedCapsule;
    private readonly int _maxCapsule;
    private readonly byte[] _scratch = new byte[SlotSize];
    private readonly int _delayLineBytes;
    private DelayLine? _queue;
    private FrameScheduler _scheduler;
    private LinkOptions? _applied;
    private bool _compress;
    // Adaptive compression: after a frame that did not shrink, skip the attempt for the next
    // _skipSpan frames (doubling up to 64, reset by a frame that shrank). Incompressible traffic
    // then costs almost nothing; a frame that could shrink waits at most 64 frames to be tried.
    private int _skipLeft;
    private int _skipSpan;
    private long _lastDropRead;
    private readonly long _spinTicks;
    private long _lastActivity;

    /// <summary>Creates the forwarder; <paramref name="options"/> is read once per wake-up (options change live).</summary>
    public VmToSubstrateForwarder(IFrameTap tap, ITransport transport, DirectionStats stats, Func<LinkOptions> options, LinkSecurity security, int batchSize = 64, int delayLineBytes = 32 << 20, ulong seed = 0, int spinMicros = 0)
    {
        _security = security;
        _auth = security.CreateAuthenticator();
        _authenticate = security.Authenticate;
        _spinTicks = spinMicros * Stopwatch.Frequency / 1_000_000;
        _tap = tap;
        _transport = transport;
        _stats = stats;
        _options = options;
        _batch = new PacketBatch(batchSize, SlotSize);
        _maxUnfragmentedCapsule = transport.PathMtu - transport.Overhead;
        _maxCapsule = Math.Min(SlotSize, ushort.MaxValue - transport.Overhead); // one IPv4 datagram
        _delayLineBytes = delayLineBytes;
        _scheduler = new FrameScheduler(seed == 0 ? (ulong)Environment.TickCount64 ^ 0x5DEECE66DUL : seed);
    }

    /// <summary>Waits for frames (or the next departure), forwards what is due, returns frames captured (a thread of its own).</summary>
    public int RunOnce() => Run(blocking: true);

    /// <inheritdoc/>
    public int WaitFd => _tap.WaitFd;

    /// <inheritdoc/>
    public long NextDue => _queue is { Count: > 0 } q ? q.HeadDeparture : long.MaxValue;

    /// <summary>Forwards what is ready and what is due without waiting (a thread of the <see cref="ForwarderPool"/>).</summary>
    public int Step() => Run(blocking: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private int Run(bool blocking)
    {
        ApplyOptions();
        var wait = 0;
        var spinning = false;
        if (blocking)
        {
            wait = IdleWaitMicros;
            if (_queue is { Count: > 0 } q)
            {
                var micros = (q.HeadDeparture - Stopwatch.GetTimestamp()) * 1_000_000 / Stopwatch.Frequency;
                wait = (int)Math.Clamp(micros, 0, IdleWaitMicros);
            }
            spinning = _spinTicks > 0 && Stopwatch.GetTimestamp() - _lastActivity < _spinTicks;
            if (spinning) wait = 0; // spinning after traffic
        }
        var n = _tap.Dispatch(this, _batch.Capacity, wait);
        if (spinning && n == 0) Thread.Yield();
        var now = Stopwatch.GetTimestamp();
        if (n > 0) _lastActivity = now;
        Release(now);
        Flush();
        if (now - _lastDropRead > Stopwatch.Frequency / 10)
        {
            // Loss before the capture hides as TCP retransmits unless counted.
            _lastDropRead = now;
            if (_tap.CaptureDrops is >= 0 and var dropped) _stats.Drops[(int)DropReason.CaptureOverflow] = dropped;
        }
        return n;
    }

    /// <summary>Takes up changed options; a reference compare, so cheap enough for every frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private void ApplyOptions()
    {
        var options = _options();
        if (ReferenceEquals(options, _applied)) return;
        _applied = options;
        _compress = options.Compression == Compression.Lz4;
        _encrypt = options.Encrypt && _authenticate; // options refuse encrypt without auth; never let a stray one stop the worker
        _scheduler.Configure(options);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public void OnFrame(ReadOnlySpan<byte> frame) => OnFrame(frame, default);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public void OnFrame(ReadOnlySpan<byte> frame, in OffloadHeader offload)
    {
        // Options may change while Dispatch waited for this frame: a `link set` applies from the next frame on.
        ApplyOptions();
        // Oversize policy (docs/wire-format.md): a capsule that fits one IPv4 datagram is carried, as IP
        // fragments when it exceeds the substrate MTU (counted); larger ones cannot be carried and are counted.
        if (frame.Length + Capsule.Overhead + (offload.IsNone ? 0 : OffloadHeader.Length) > _maxCapsule)
        {
            _stats.Drop(DropReason.Oversize);
            return;
        }
        var tryCompress = _compress && ShouldTry();
        if (_scheduler.IsPassThrough && _queue is not { Count: > 0 })
        {
            var index = _batch.Count;
            var slot = _batch.Slot(index);
            var length = Capsule.Encode(frame, offload, slot, tryCompress, out var compressed, _security.LocalSender, _security.NextSequence++, _encrypt, _authenticate);
            if (_authenticate) length = _auth.Seal(slot, length);
            if (tryCompress) Learn(compressed);
            _batch.SetLength(index, length);
            _batch.Count = index + 1;
            Count(frame.Length, length, compressed);
            if (_batch.Count == _batch.Capacity) Flush();
            return;
        }
        // The frame's own arrival time: Dispatch may have waited up to IdleWaitMicros before it came.
        switch (_scheduler.Offer(frame.Length, Stopwatch.GetTimestamp(), out var departure))
        {
            case FrameScheduler.Verdict.DropLoss:
                _stats.Drop(DropReason.Impairment);
                return;
            case FrameScheduler.Verdict.DropShaper:
                _stats.Drop(DropReason.Shaper);
                return;
        }
        // Sealed now, with the next sequence number: delay and jitter may reorder, which the receiver's window allows.
        var capsuleLength = Capsule.Encode(frame, offload, _scratch, tryCompress, out var wasCompressed, _security.LocalSender, _security.NextSequence++, _encrypt, _authenticate);
        if (_authenticate) capsuleLength = _auth.Seal(_scratch, capsuleLength);
        if (tryCompress) Learn(wasCompressed);
        _queue ??= new DelayLine(_delayLineBytes);
        if (!_queue.TryEnqueue(_scratch.AsSpan(0, capsuleLength), departure))
        {
            _stats.Drop(_scheduler.Holds && _applied?.BandwidthBitsPerSecond != 0 ? DropReason.Shaper : DropReason.Impairment);
            return;
        }
        Count(frame.Length, capsuleLength, wasCompressed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private bool ShouldTry()
    {
        if (_skipLeft == 0) return true;
        _skipLeft--;
        return false;
    }

    private void Learn(bool shrank)
    {
        if (shrank) _skipSpan = 0;
        else _skipSpan = Math.Min(64, Math.Max(1, _skipSpan * 2));
        _skipLeft = _skipSpan;
    }

    private void Count(int frameLength, int capsuleLength, bool compressed)
    {
        _stats.Frames++;
        _stats.Bytes += frameLength;
        _stats.WireBytes += capsuleLength;
        if (compressed) _stats.Compressed++;
        if (capsuleLength > _maxUnfragmentedCapsule) _stats.Fragmented++;
    }

    /// <summary>Moves every queued capsule whose time has come into the send batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private void Release(long now)
    {
        if (_queue is not { Count: > 0 } q) return;
        while (q.Count > 0 && q.HeadDeparture <= now)
        {
            var index = _batch.Count;
            var capsule = q.Head;
            capsule.CopyTo(_batch.Slot(index));
            _batch.SetLength(index, capsule.Length);
            _batch.Count = index + 1;
            q.Dequeue();
            if (_batch.Count == _batch.Capacity) Flush();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    private void Flush()
    {
        if (_batch.Count == 0) return;
        var sent = _transport.Send(_batch);
        if (sent < _batch.Count)
        {
            var lost = _batch.Count - sent;
            _stats.Drops[(int)DropReason.SendError] += lost;
            _stats.Frames -= lost;
        }
        _batch.Count = 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _batch.Dispose();
        _queue?.Dispose();
        _auth.Dispose();
    }
}
