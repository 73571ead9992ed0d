using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace VNet.Capture.Frames;

/// <summary>
/// What the kernel left undone in a frame the VM sent, so the far end can have its kernel finish
/// it: a checksum to complete (csum_start/csum_offset) and, for a super-frame built by TSO/GSO, the
/// segment size. It is Linux's <c>struct virtio_net_hdr</c>, which PACKET_VNET_HDR sockets read and
/// write; carried in the capsule in network byte order (docs/wire-format.md).
/// </summary>
public readonly record struct OffloadHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    /// <summary>Bytes of the header, native and on the wire.</summary>
    public const int Length = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at ChecksumStart + ChecksumOffset is partial.</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>True when there is nothing to finish: the frame is complete as it is.</summary>
    public bool IsNone => (Flags & FlagNeedsChecksum) == 0 && GsoType == 0;

    /// <summary>Reads the kernel's header (host byte order, PACKET_VNET_HDR); only the NEEDS_CSUM flag is kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe OffloadHeader ReadNative(byte* p) => new(
        (byte)(p[0] & FlagNeedsChecksum), p[1], *(ushort*)(p + 2), *(ushort*)(p + 4), *(ushort*)(p + 6), *(ushort*)(p + 8));

    /// <summary>Writes the kernel's header (host byte order) for a frame sent on a PACKET_VNET_HDR socket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void WriteNative(byte* p)
    {
        p[0] = Flags;
        p[1] = GsoType;
        *(ushort*)(p + 2) = HeaderLength;
        *(ushort*)(p + 4) = GsoSize;
        *(ushort*)(p + 6) = ChecksumStart;
        *(ushort*)(p + 8) = ChecksumOffset;
    }

    /// <summary>Reads the wire form (network byte order).</summary>
    public static OffloadHeader ReadWire(ReadOnlySpan<byte> s) => new(
        s[0], s[1], BinaryPrimitives.ReadUInt16BigEndian(s[2..]), BinaryPrimitives.ReadUInt16BigEndian(s[4..]),
        BinaryPrimitives.ReadUInt16BigEndian(s[6..]), BinaryPrimitives.ReadUInt16BigEndian(s[8..]));

    /// <summary>Writes the wire form (network byte order).</summary>
    public void WriteWire(Span<byte> s)
    {
        s[0] = Flags;
        s[1] = GsoType;
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(s[4..], GsoSize);
        BinaryPrimitives.WriteUInt16BigEndian(s[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16BigEndian(s[8..], ChecksumOffset);
    }

    /// <summary>The same header for the frame with <paramref name="bytes"/> inserted before its network header (a VLAN tag put back).</summary>
    public OffloadHeader ShiftedBy(int bytes) => IsNone ? this : this with
    {
        HeaderLength = HeaderLength == 0 ? (ushort)0 : (ushort)(HeaderLength + bytes),
        ChecksumStart = (Flags & FlagNeedsChecksum) == 0 ? ChecksumStart : (ushort)(ChecksumStart + bytes),
    };
}
