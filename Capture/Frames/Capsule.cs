using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace VNet.Capture.Frames;

/// <summary>What decoding a capsule found.</summary>
public enum CapsuleStatus
{
    /// <summary>A frame was decoded.</summary>
    Ok,
    /// <summary>Shorter than the header.</summary>
    Truncated,
    /// <summary>Unknown version.</summary>
    BadVersion,
    /// <summary>Declared frame length does not match the payload, or exceeds the buffer.</summary>
    BadLength,
    /// <summary>The LZ4 block did not decompress to the declared length.</summary>
    BadCompression,
}

/// <summary>
/// The VNet capsule: a 4-byte header in front of each Ethernet frame, the same for every link
/// kind (docs/wire-format.md). Pure code: no sockets, no clocks.
/// <code>
///  0               1               2               3
///  +-------+-------+---------------+-------------------------------+
///  |version| flags |   reserved    |     frame length (bytes)      |
///  +-------+-------+---------------+-------------------------------+
///  | offload header (10 bytes), only when flags bit 1 (O) is set    |
///  +---------------------------------------------------------------+
///  |  frame, or its LZ4 block when flags bit 0 (C) is set          |
/// </code>
/// </summary>
public static class Capsule
{
    /// <summary>Bytes in front of the frame.</summary>
    public const int HeaderLength = 4;

    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Flag bit: the payload is an LZ4 block of the frame.</summary>
    public const int FlagCompressed = 0x1;

    /// <summary>Flag bit: an <see cref="OffloadHeader"/> follows the capsule header.</summary>
    public const int FlagOffload = 0x2;

    /// <summary>Largest frame a capsule can describe.</summary>
    public const int MaxFrameLength = ushort.MaxValue;

    /// <summary>
    /// Writes the capsule of <paramref name="frame"/> into <paramref name="destination"/> and returns
    /// its length. With <paramref name="compress"/>, the frame is LZ4-compressed and sent so only
    /// when that makes it shorter; <paramref name="compressed"/> tells which happened.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> frame, Span<byte> destination, bool compress, out bool compressed) =>
        Encode(frame, default, destination, compress, out compressed);

    /// <summary>
    /// As <see cref="Encode(ReadOnlySpan{byte}, Span{byte}, bool, out bool)"/>, with what the far end's
    /// kernel must finish (<paramref name="offload"/>); a complete frame gets no offload header.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public static int Encode(ReadOnlySpan<byte> frame, in OffloadHeader offload, Span<byte> destination, bool compress, out bool compressed)
    {
        if (frame.Length > MaxFrameLength) throw new ArgumentException($"frame of {frame.Length} bytes exceeds {MaxFrameLength}", nameof(frame));
        compressed = false;
        var offloaded = !offload.IsNone;
        var headerLength = HeaderLength;
        if (offloaded)
        {
            offload.WriteWire(destination[HeaderLength..]);
            headerLength += OffloadHeader.Length;
        }
        var body = destination[headerLength..];
        var bodyLength = 0;
        if (compress && frame.Length > 16)
        {
            // Only a strictly shorter block is worth sending; Encode returns <= 0 when it does not fit.
            var limit = Math.Min(frame.Length - 1, body.Length);
            var written = LZ4Codec.Encode(frame, body[..limit], LZ4Level.L00_FAST);
            if (written > 0) { compressed = true; bodyLength = written; }
        }
        if (!compressed)
        {
            frame.CopyTo(body);
            bodyLength = frame.Length;
        }
        destination[0] = (byte)((Version << 4) | (compressed ? FlagCompressed : 0) | (offloaded ? FlagOffload : 0));
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)frame.Length);
        return headerLength + bodyLength;
    }

    /// <summary>
    /// Reads a capsule. An uncompressed frame is returned as a slice of <paramref name="capsule"/>
    /// (no copy); a compressed one is decompressed into <paramref name="scratch"/>.
    /// </summary>
    public static CapsuleStatus Decode(ReadOnlySpan<byte> capsule, Span<byte> scratch, out ReadOnlySpan<byte> frame, out bool compressed) =>
        Decode(capsule, scratch, out frame, out compressed, out _);

    /// <summary>As the other overload, also returning the capsule's offload header (none when absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public static CapsuleStatus Decode(ReadOnlySpan<byte> capsule, Span<byte> scratch, out ReadOnlySpan<byte> frame, out bool compressed, out OffloadHeader offload)
    {
        frame = default;
        compressed = false;
        offload = default;
        if (capsule.Length < HeaderLength) return CapsuleStatus.Truncated;
        if (capsule[0] >> 4 != Version) return CapsuleStatus.BadVersion;
        compressed = (capsule[0] & FlagCompressed) != 0;
        int length = BinaryPrimitives.ReadUInt16BigEndian(capsule[2..]);
        var headerLength = HeaderLength;
        if ((capsule[0] & FlagOffload) != 0)
        {
            if (capsule.Length < HeaderLength + OffloadHeader.Length) return CapsuleStatus.Truncated;
            offload = OffloadHeader.ReadWire(capsule[HeaderLength..]);
            headerLength += OffloadHeader.Length;
        }
        var body = capsule[headerLength..];
        if (!compressed)
        {
            if (body.Length != length) return CapsuleStatus.BadLength;
            frame = body;
            return CapsuleStatus.Ok;
        }
        if (length > scratch.Length) return CapsuleStatus.BadLength;
        var decoded = LZ4Codec.Decode(body, scratch[..length]);
        if (decoded != length) return CapsuleStatus.BadCompression;
        frame = scratch[..length];
        return CapsuleStatus.Ok;
    }
}
