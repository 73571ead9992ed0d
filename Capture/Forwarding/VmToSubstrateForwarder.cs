using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Capture.Forwarding;

/// <summary>
/// The paper's TCV/TEF path: frames the VM sends are captured, put into capsules and sent over
/// the substrate, a batch per pcap_dispatch. One thread calls <see cref="RunOnce"/> in a loop.
/// </summary>
public sealed class VmToSubstrateForwarder : IFrameSink, IDisposable
{
    /// <summary>Bytes per batch slot: a jumbo frame plus the capsule header, with room to spare.</summary>
    public const int SlotSize = 16384 + Capsule.HeaderLength;

    private readonly IFrameTap _tap;
    private readonly ITransport _transport;
    private readonly DirectionStats _stats;
    private readonly PacketBatch _batch;
    private readonly Func<LinkOptions> _options;
    private readonly int _maxUnfragmentedFrame;
    private bool _compress;

    /// <summary>Creates the forwarder; <paramref name="options"/> is read once per batch (options change live).</summary>
    public VmToSubstrateForwarder(IFrameTap tap, ITransport transport, DirectionStats stats, Func<LinkOptions> options, int batchSize = 32)
    {
        _tap = tap;
        _transport = transport;
        _stats = stats;
        _options = options;
        _batch = new PacketBatch(batchSize, SlotSize);
        _maxUnfragmentedFrame = transport.PathMtu - transport.Overhead - Capsule.HeaderLength;
    }

    /// <summary>Waits for frames (up to the tap's read timeout), forwards them, returns how many.</summary>
    public int RunOnce()
    {
        _compress = _options().Compression == Compression.Lz4;
        var n = _tap.Dispatch(this, _batch.Capacity);
        Flush();
        return n;
    }

    /// <inheritdoc/>
    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        // Oversize policy (docs/wire-format.md): frames up to the slot size are carried, as IP fragments
        // when they exceed the substrate MTU (counted); larger ones cannot be carried and are counted.
        if (frame.Length + Capsule.HeaderLength > SlotSize || frame.Length > Capsule.MaxFrameLength)
        {
            _stats.Drop(DropReason.Oversize);
            return;
        }
        var index = _batch.Count;
        var length = Capsule.Encode(frame, _batch.Slot(index), _compress, out var compressed);
        _batch.SetLength(index, length);
        _batch.Count = index + 1;
        _stats.Frames++;
        _stats.Bytes += frame.Length;
        _stats.WireBytes += length;
        if (compressed) _stats.Compressed++;
        if (length > _maxUnfragmentedFrame + Capsule.HeaderLength) _stats.Fragmented++;
        if (_batch.Count == _batch.Capacity) Flush();
    }

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
    public void Dispose() => _batch.Dispose();
}
