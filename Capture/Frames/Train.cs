using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VNet.Capture.Frames;

/// <summary>
/// A capsule too large for one datagram of a UDP kind travels as a <b>train</b>: consecutive
/// datagrams, each a 4-byte segment header and the next piece of the capsule, all pieces but the
/// last of the same size (docs/wire-format.md). Equal sizes are what UDP segmentation offload
/// (UDP_SEGMENT) needs: the sender hands the kernel a whole train in one send, it crosses veths and
/// routers as one packet, and a receiver with UDP_GRO reads it back in one piece — instead of ~45
/// IP fragments that every hop handles one by one.
/// <code>
///  byte 0: version 2 (high nibble) | flags (bit 0 L: last segment)
///  byte 1: segment index, 0 first
///  bytes 2–3: train number (big-endian), the same for every segment of one train
/// </code>
/// </summary>
public static class Train
{
    /// <summary>Bytes of the segment header.</summary>
    public const int HeaderLength = 4;

    /// <summary>The version nibble that marks a train segment (a capsule has 1).</summary>
    public const int Version = 2;

    /// <summary>Flag of the last segment of a train.</summary>
    public const int FlagLast = 0x1;

    /// <summary>Most segments a train may have (the index is one byte).</summary>
    public const int MaxSegments = 256;

    /// <summary>True when <paramref name="datagram"/> is a train segment rather than a capsule.</summary>
    public static bool IsSegment(ReadOnlySpan<byte> datagram) => datagram.Length >= 1 && datagram[0] >> 4 == Version;

    /// <summary>Writes a segment header.</summary>
    public static void WriteHeader(Span<byte> destination, ushort train, int index, bool last)
    {
        destination[0] = (byte)((Version << 4) | (last ? FlagLast : 0));
        destination[1] = (byte)index;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], train);
    }

    /// <summary>How many segments carry <paramref name="capsuleLength"/> bytes in pieces of <paramref name="pieceSize"/>.</summary>
    public static int Segments(int capsuleLength, int pieceSize) => (capsuleLength + pieceSize - 1) / pieceSize;

    /// <summary>
    /// Cuts <paramref name="capsule"/> into the datagrams of train <paramref name="train"/> (pieces of
    /// <paramref name="pieceSize"/> bytes) and returns them; for tests and tools (the data plane
    /// points iovecs at the capsule instead of copying).
    /// </summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> capsule, int pieceSize, ushort train)
    {
        var segments = Segments(capsule.Length, pieceSize);
        if (segments > MaxSegments) throw new ArgumentException($"a capsule of {capsule.Length} bytes needs {segments} segments of {pieceSize} (at most {MaxSegments})");
        var result = new List<byte[]>(segments);
        for (var i = 0; i < segments; i++)
        {
            var piece = capsule.Slice(i * pieceSize, Math.Min(pieceSize, capsule.Length - i * pieceSize));
            var datagram = new byte[HeaderLength + piece.Length];
            WriteHeader(datagram, train, i, i == segments - 1);
            piece.CopyTo(datagram.AsSpan(HeaderLength));
            result.Add(datagram);
        }
        return result;
    }
}

/// <summary>What <see cref="TrainReassembler"/> made of a segment.</summary>
public enum TrainStatus
{
    /// <summary>Taken; the train is not complete yet.</summary>
    Incomplete,
    /// <summary>The last segment: the capsule is whole.</summary>
    Complete,
    /// <summary>A segment that belongs to no train (malformed, or no room): dropped, to be counted.</summary>
    Dropped,
    /// <summary>A segment of a train already given up (and counted once, through <c>lost</c>): ignored.</summary>
    Skipped,
}

/// <summary>
/// Puts trains back together on the receiving side, in native memory allocated once: <c>regions</c>
/// areas of <c>regionSize</c> bytes, so that every capsule completed since the last
/// <see cref="Release"/> stays where it is until the frames in it have been injected. Each sender
/// (a multipoint segment has several) has a lane that assembles one train at a time, in order: a
/// single sender on a single path does not reorder, and a train with a missing or out-of-order
/// segment is dropped whole, as the kernel drops an IP datagram with a missing fragment.
/// </summary>
public sealed unsafe class TrainReassembler : IDisposable
{
    /// <summary>Senders assembled at once; a new sender beyond that takes the lane idle longest.</summary>
    public const int MaxLanes = 16;

    private struct Lane
    {
        public uint Source;
        public bool InProgress;
        public ushort Train;
        public int Next;
        public int Length;
        public int Region;
        public long LastUse;
        public bool Skipping;     // the rest of train SkipTrain is ignored: it was counted as lost
        public ushort SkipTrain;
    }

    private readonly int _regions;
    private readonly int _regionSize;
    private readonly Lane[] _lanes = new Lane[MaxLanes];
    private int _laneCount;
    private long _clock;
    private byte* _area;
    private int _nextFree;
    private int _completed;

    /// <summary>Creates a reassembler with room for <paramref name="regions"/> capsules (completed or in progress) between releases.</summary>
    public TrainReassembler(int regions, int regionSize)
    {
        _regions = regions;
        _regionSize = regionSize;
    }

    /// <summary>Capsules completed since the last <see cref="Release"/>.</summary>
    public int Completed => _completed;

    /// <summary>True when no new train can start before <see cref="Release"/>.</summary>
    public bool IsFull => _nextFree >= _regions;

    /// <summary>As <see cref="Add(uint, ReadOnlySpan{byte}, out ReadOnlySpan{byte}, out int)"/> for a link with one sender.</summary>
    public TrainStatus Add(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> capsule, out int lost) => Add(0, datagram, out capsule, out lost);

    /// <summary>
    /// Takes segment <paramref name="datagram"/> from sender <paramref name="source"/>. On
    /// <see cref="TrainStatus.Complete"/>, <paramref name="capsule"/> is the whole capsule, valid until
    /// <see cref="Release"/>. <paramref name="lost"/> is 1 when a train in progress was given up because of this segment.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public TrainStatus Add(uint source, ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> capsule, out int lost)
    {
        capsule = default;
        lost = 0;
        ref var lane = ref LaneOf(source, ref lost);
        lane.LastUse = ++_clock;
        if (datagram.Length < Train.HeaderLength || !Train.IsSegment(datagram)) return TrainStatus.Dropped;
        var last = (datagram[0] & Train.FlagLast) != 0;
        int index = datagram[1];
        var train = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        var piece = datagram[Train.HeaderLength..];
        if (index == 0)
        {
            lane.Skipping = false;
            if (lane.InProgress) lost = 1;
            else
            {
                if (IsFull) return TrainStatus.Dropped;
                lane.Region = _nextFree++;
            }
            lane.InProgress = true;
            lane.Train = train;
            lane.Next = 0;
            lane.Length = 0;
        }
        else if (lane.Skipping && train == lane.SkipTrain)
        {
            return TrainStatus.Skipped;
        }
        else if (!lane.InProgress || train != lane.Train || index != lane.Next)
        {
            // A segment went missing (or this one is out of place): the train in progress is lost.
            if (!lane.InProgress) return TrainStatus.Dropped;
            return GiveUp(ref lane, ref lost);
        }
        if (lane.Length + piece.Length > _regionSize) return GiveUp(ref lane, ref lost);
        if (_area == null) _area = (byte*)NativeMemory.AlignedAlloc((nuint)((long)_regions * _regionSize), 64);
        var region = _area + (long)lane.Region * _regionSize;
        piece.CopyTo(new Span<byte>(region + lane.Length, _regionSize - lane.Length));
        lane.Length += piece.Length;
        lane.Next++;
        if (!last) return TrainStatus.Incomplete;
        lane.InProgress = false;
        capsule = new ReadOnlySpan<byte>(region, lane.Length);
        _completed++;
        return TrainStatus.Complete;
    }

    /// <summary>The lane of <paramref name="source"/>; a new sender takes a free lane or the one idle longest (its train is lost).</summary>
    private ref Lane LaneOf(uint source, ref int lost)
    {
        for (var i = 0; i < _laneCount; i++)
            if (_lanes[i].Source == source) return ref _lanes[i];
        if (_laneCount < MaxLanes)
        {
            _lanes[_laneCount] = new Lane { Source = source };
            return ref _lanes[_laneCount++];
        }
        var oldest = 0;
        for (var i = 1; i < _laneCount; i++)
            if (_lanes[i].LastUse < _lanes[oldest].LastUse) oldest = i;
        if (_lanes[oldest].InProgress) lost = 1;
        _lanes[oldest] = new Lane { Source = source };
        return ref _lanes[oldest];
    }

    /// <summary>Counts the train in progress as lost and ignores the rest of it. Its region stays taken until the release.</summary>
    private static TrainStatus GiveUp(ref Lane lane, ref int lost)
    {
        lost = 1;
        lane.InProgress = false;
        lane.Skipping = true;
        lane.SkipTrain = lane.Train;
        return TrainStatus.Skipped;
    }

    /// <summary>
    /// The capsules handed out are no longer needed (their frames were injected): their regions are
    /// reused. Trains still in progress move to the first regions.
    /// </summary>
    public void Release()
    {
        if (_nextFree == 0) return;
        // Lanes in the order of their regions, so that a move never overwrites a train not yet moved.
        Span<int> order = stackalloc int[MaxLanes];
        var count = 0;
        for (var i = 0; i < _laneCount; i++)
        {
            if (!_lanes[i].InProgress) continue;
            var at = count++;
            while (at > 0 && _lanes[order[at - 1]].Region > _lanes[i].Region) { order[at] = order[at - 1]; at--; }
            order[at] = i;
        }
        var free = 0;
        foreach (var i in order[..count])
        {
            ref var lane = ref _lanes[i];
            if (lane.Region != free && lane.Length > 0)
                Buffer.MemoryCopy(_area + (long)lane.Region * _regionSize, _area + (long)free * _regionSize, _regionSize, lane.Length);
            lane.Region = free++;
        }
        _nextFree = free;
        _completed = 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_area != null) NativeMemory.AlignedFree(_area);
        _area = null;
    }
}
