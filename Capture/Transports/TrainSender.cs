using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// Sends a batch of capsules on a UDP socket (to its connected peer or a group), cutting those larger than one datagram
/// into trains (<see cref="Train"/>). The pieces are not copied: each segment is two iovecs, its
/// header and its piece of the capsule in the batch slot. With UDP segmentation offload a message
/// holds as many segments as fit one IPv4 datagram and carries UDP_SEGMENT, so the kernel moves
/// the train as one packet as far as it can; without it every segment is a message of its own.
/// Everything is allocated once, for the worst case of a full batch of the largest capsules.
/// </summary>
internal sealed unsafe class TrainSender : IDisposable
{
    private const int ControlSize = 24;   // CMSG_SPACE(sizeof(u16))
    private const int MaxMessageBytes = ushort.MaxValue - 28;
    private readonly int _fd;
    private readonly int _pieceSize;
    private readonly int _maxMessages;
    private readonly int _maxSegments;
    private readonly Libc.MMsgHdr* _messages;
    private readonly int* _capsuleOf;       // batch slot of each message
    private readonly Libc.IoVec* _iov;
    private readonly byte* _headers;
    private readonly byte* _control;
    private bool _gso;
    private ushort _train;
    private Libc.SockAddrIn* _destination;
    private bool _disposed;

    /// <summary>Prepares for batches of <paramref name="capacity"/> capsules of at most <paramref name="maxCapsule"/> bytes.</summary>
    public TrainSender(int fd, int maxDatagram, bool segmentationOffload, int capacity, int maxCapsule)
    {
        _fd = fd;
        _gso = segmentationOffload;
        _pieceSize = maxDatagram - Train.HeaderLength;
        var segmentSize = maxDatagram;
        var segmentsPerCapsule = Train.Segments(maxCapsule, _pieceSize);
        if (segmentsPerCapsule > Train.MaxSegments)
            throw new InvalidOperationException($"the path MTU leaves {_pieceSize} bytes per datagram: a {maxCapsule}-byte capsule would need {segmentsPerCapsule} segments (at most {Train.MaxSegments})");
        _maxSegments = capacity * segmentsPerCapsule;
        _maxMessages = _maxSegments; // one per segment when the kernel turns segmentation offload down
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_maxMessages * sizeof(Libc.MMsgHdr)));
        _capsuleOf = (int*)NativeMemory.AllocZeroed((nuint)(_maxMessages * sizeof(int)));
        _iov = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(_maxSegments * 2 * sizeof(Libc.IoVec)));
        _headers = (byte*)NativeMemory.AllocZeroed((nuint)(_maxSegments * Train.HeaderLength));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)(_maxMessages * ControlSize));
        for (var m = 0; m < _maxMessages; m++)
        {
            // struct cmsghdr { size_t len = CMSG_LEN(2) = 18; int level = SOL_UDP; int type = UDP_SEGMENT; } u16 size
            var c = _control + m * ControlSize;
            *(ulong*)c = 18;
            *(int*)(c + 8) = Libc.SOL_UDP;
            *(int*)(c + 12) = Libc.UDP_SEGMENT;
            *(ushort*)(c + 16) = (ushort)segmentSize;
        }
    }

    /// <summary>
    /// Opens the train sender of a UDP socket: turns on UDP_GRO for receiving whole trains and uses
    /// UDP_SEGMENT when the kernel has it (Linux 4.18 and 5.0; without them segments go one by one).
    /// </summary>
    public static TrainSender ForSocket(BatchSocket socket, int maxDatagram)
    {
        var offload = Libc.GetInt(socket.Fd, Libc.SOL_UDP, Libc.UDP_SEGMENT) >= 0;
        try { socket.SetInt(Libc.SOL_UDP, Libc.UDP_GRO, 1, "UDP_GRO"); } catch (System.Net.Sockets.SocketException) { }
        return new TrainSender(socket.Fd, maxDatagram, offload, capacity: 64, maxCapsule: ushort.MaxValue);
    }

    /// <summary>True when the kernel cuts trains (UDP_SEGMENT).</summary>
    public bool SegmentationOffload => _gso;

    /// <summary>True when a capsule of the batch is larger than one datagram.</summary>
    public bool Needed(PacketBatch batch)
    {
        for (var i = 0; i < batch.Count; i++)
            if (batch.Filled(i).Length > _pieceSize + Train.HeaderLength) return true;
        return false;
    }

    /// <summary>Sends the batch (to <paramref name="destination"/>, or the connected peer when null); returns how many capsules the kernel took whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public int Send(PacketBatch batch, Libc.SockAddrIn* destination = null)
    {
        _destination = destination;
        return batch.Count - SendFrom(batch, 0);
    }

    /// <summary>Sends slots <paramref name="from"/>… of the batch; returns how many capsules were lost.</summary>
    private int SendFrom(PacketBatch batch, int from)
    {
        var messages = 0;
        var segment = 0;
        for (var slot = from; slot < batch.Count; slot++)
        {
            var capsule = batch.Filled(slot);
            fixed (byte* start = capsule)
            {
                if (capsule.Length <= _pieceSize + Train.HeaderLength)
                {
                    // Fits one datagram: the capsule as it is.
                    var iov = _iov + 2 * segment++;
                    iov->Base = start;
                    iov->Length = (nuint)capsule.Length;
                    AddMessage(messages++, slot, iov, 1, 1);
                    continue;
                }
                var segments = Train.Segments(capsule.Length, _pieceSize);
                var train = _train++;
                for (var first = 0; first < segments;)
                {
                    // As many segments as fit one datagram (the short last one included when it fits), at most
                    // 64 (UDP_MAX_SEGMENTS before Linux 6.x; 128 since).
                    var inMessage = Math.Min(_gso ? 64 : 1, segments - first);
                    var rest = capsule.Length - first * _pieceSize;
                    while (inMessage > 1 && Math.Min(rest, inMessage * _pieceSize) + inMessage * Train.HeaderLength > MaxMessageBytes) inMessage--;
                    var iov = _iov + 2 * segment;
                    for (var k = 0; k < inMessage; k++)
                    {
                        var index = first + k;
                        var header = _headers + Train.HeaderLength * segment++;
                        Train.WriteHeader(new Span<byte>(header, Train.HeaderLength), train, index, index == segments - 1);
                        var offset = index * _pieceSize;
                        iov[2 * k].Base = header;
                        iov[2 * k].Length = Train.HeaderLength;
                        iov[2 * k + 1].Base = start + offset;
                        iov[2 * k + 1].Length = (nuint)Math.Min(_pieceSize, capsule.Length - offset);
                    }
                    AddMessage(messages++, slot, iov, 2 * inMessage, inMessage);
                    first += inMessage;
                }
            }
        }
        return Transmit(batch, messages);
    }

    private void AddMessage(int m, int slot, Libc.IoVec* iov, int iovCount, int segments)
    {
        _capsuleOf[m] = slot;
        ref var header = ref _messages[m].Header;
        header.Name = _destination;
        header.NameLength = _destination == null ? 0u : (uint)sizeof(Libc.SockAddrIn);
        header.Iov = iov;
        header.IovLength = (nuint)iovCount;
        // Only a message of several segments needs the kernel to cut it.
        header.Control = segments > 1 ? _control + m * ControlSize : null;
        header.ControlLength = segments > 1 ? ControlSize : 0u;
        header.Flags = 0;
    }

    /// <summary>sendmmsg until every message went or failed; returns the capsules lost (a capsule counts as sent only when all its messages did).</summary>
    private int Transmit(PacketBatch batch, int messages)
    {
        var done = 0;
        var failedCapsules = 0;
        var lastFailed = -1;
        while (done < messages)
        {
            var n = Libc.sendmmsg(_fd, _messages + done, (uint)(messages - done), 0);
            if (n > 0) { done += n; continue; }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EIO && _messages[done].Header.Control != null && _gso)
            {
                // The route's device cannot checksum for us, which UDP segmentation offload needs
                // (udp_send_skb): from now on every segment is a datagram of its own. This capsule
                // and the rest of the batch go again that way.
                _gso = false;
                return failedCapsules + SendFrom(batch, _capsuleOf[done]);
            }
            // Refused (no buffer, unreachable, ...): this message is lost, and with it its capsule.
            if (_capsuleOf[done] != lastFailed)
            {
                lastFailed = _capsuleOf[done];
                failedCapsules++;
            }
            done++;
        }
        return failedCapsules;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.Free(_messages);
        NativeMemory.Free(_capsuleOf);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_headers);
        NativeMemory.Free(_control);
    }
}
