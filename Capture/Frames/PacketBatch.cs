using System.Runtime.InteropServices;
using VNet.Capture.Native;

namespace VNet.Capture.Frames;

/// <summary>
/// A fixed set of native buffers laid out for sendmmsg/recvmmsg: one iovec, one mmsghdr and one
/// sockaddr per slot. Allocated once per worker and reused for every frame (no per-frame allocation).
/// </summary>
public sealed unsafe class PacketBatch : IDisposable
{
    private readonly byte* _buffers;
    private readonly Libc.IoVec* _iov;
    private readonly Libc.SockAddrIn* _addresses;
    private readonly byte* _control;
    private const int ControlSize = 64; // room for two CMSG_SPACE(sizeof(int)) = 24 (SO_RXQ_OVFL, UDP_GRO)
    private bool _disposed;

    /// <summary>Creates <paramref name="capacity"/> slots of <paramref name="slotSize"/> bytes.</summary>
    public PacketBatch(int capacity, int slotSize)
    {
        Capacity = capacity;
        SlotSize = slotSize;
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)(capacity * slotSize), 64);
        _iov = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(Libc.IoVec)));
        Messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(Libc.MMsgHdr)));
        _addresses = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(Libc.SockAddrIn)));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * ControlSize));
        for (var i = 0; i < capacity; i++)
        {
            _iov[i].Base = _buffers + (long)i * slotSize;
            _iov[i].Length = (nuint)slotSize;
            Messages[i].Header.Iov = &_iov[i];
            Messages[i].Header.IovLength = 1;
        }
    }

    /// <summary>Number of slots.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per slot.</summary>
    public int SlotSize { get; }

    /// <summary>Receive without waiting (while a forwarder spins for more traffic).</summary>
    public bool DontWait { get; set; }

    /// <summary>Slots filled so far (send side) or received (receive side).</summary>
    public int Count { get; set; }

    internal Libc.MMsgHdr* Messages { get; }

    /// <summary>The whole buffer of slot <paramref name="index"/>.</summary>
    public Span<byte> Slot(int index) => new(_buffers + (long)index * SlotSize, SlotSize);

    /// <summary>The filled part of slot <paramref name="index"/>.</summary>
    public Span<byte> Filled(int index) => new(_buffers + (long)index * SlotSize, (int)Messages[index].Length);

    /// <summary>Sets how many bytes of slot <paramref name="index"/> are to be sent.</summary>
    public void SetLength(int index, int length)
    {
        _iov[index].Length = (nuint)length;
        Messages[index].Length = (uint)length;
    }

    /// <summary>Prepares every slot to receive a full slot, with room for the source address.</summary>
    internal void PrepareReceive()
    {
        for (var i = 0; i < Capacity; i++)
        {
            _iov[i].Length = (nuint)SlotSize;
            Messages[i].Header.Name = &_addresses[i];
            Messages[i].Header.NameLength = (uint)sizeof(Libc.SockAddrIn);
            Messages[i].Header.Control = _control + i * ControlSize;
            Messages[i].Header.ControlLength = ControlSize;
            Messages[i].Length = 0;
        }
    }

    /// <summary>Points every slot's destination at <paramref name="destination"/> (null: connected socket).</summary>
    internal void SetDestination(Libc.SockAddrIn* destination)
    {
        for (var i = 0; i < Capacity; i++)
        {
            Messages[i].Header.Name = destination;
            Messages[i].Header.NameLength = destination == null ? 0u : (uint)sizeof(Libc.SockAddrIn);
        }
    }

    /// <summary>
    /// The socket's drop counter (SO_RXQ_OVFL) carried by received slot <paramref name="index"/>, or -1
    /// when the kernel attached none: the number of datagrams the socket dropped since it was opened.
    /// </summary>
    internal long DropCounter(int index)
    {
        var data = ControlData(index, Libc.SOL_SOCKET, Libc.SO_RXQ_OVFL);
        return data == null ? -1 : *(uint*)data;
    }

    /// <summary>
    /// The segment size of received slot <paramref name="index"/> when the kernel handed over several
    /// UDP datagrams in it at once (UDP_GRO: all of that size but the last); 0 when it holds one.
    /// </summary>
    internal int CoalescedSegmentSize(int index)
    {
        var data = ControlData(index, Libc.SOL_UDP, Libc.UDP_GRO);
        return data == null ? 0 : *(int*)data;
    }

    /// <summary>The data of the control message (level, type) of received slot <paramref name="index"/>, or null.</summary>
    private byte* ControlData(int index, int level, int type)
    {
        var header = Messages[index].Header;
        var cmsg = (byte*)header.Control;
        var end = cmsg + (long)header.ControlLength;
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, 8-byte aligned.
        while (cmsg + 16 <= end)
        {
            var length = (long)*(ulong*)cmsg;
            if (length < 16 || cmsg + length > end) return null;
            if (*(int*)(cmsg + 8) == level && *(int*)(cmsg + 12) == type) return cmsg + 16;
            cmsg += (length + 7) & ~7L;
        }
        return null;
    }

    /// <summary>The source address of received slot <paramref name="index"/> (network order).</summary>
    internal uint SourceAddress(int index) => _addresses[index].AddressNetworkOrder;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.AlignedFree(_buffers);
        NativeMemory.Free(_iov);
        NativeMemory.Free(Messages);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_control);
    }
}
