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
    /// <summary>A capsule without authenticator: version 1 of earlier releases, or flag N (a link with authentication off).</summary>
    Unauthenticated,
    /// <summary>A capsule with an authenticator (flag N clear, or flag E set) where the link has authentication off.</summary>
    Authenticated,
}

/// <summary>
/// The VNet capsule: a 16-byte header in front of each Ethernet frame and a 16-byte authenticator
/// behind it, the same for every link kind (docs/wire-format.md). Pure code: no sockets, no clocks.
/// This type writes and reads the header and body; <see cref="CapsuleAuthenticator"/> adds and
/// checks the tag (and encrypts the body when flag E is set). A link with authentication off sends
/// the same header with flag N and no tag.
/// <code>
///  0               1               2               3
///  +-------+-------+---------------+-------------------------------+
///  |version| flags |   reserved    |     frame length (bytes)      |
///  +-------+-------+---------------+-------------------------------+
///  |                  sender id (big-endian)                        |
///  +---------------------------------------------------------------+
///  |                  sequence number (64 bits, big-endian)         |
///  +---------------------------------------------------------------+
///  | offload header (10 bytes), only when flags bit 1 (O) is set    |
///  +---------------------------------------------------------------+
///  |  frame, or its LZ4 block when flags bit 0 (C) is set;          |
///  |  encrypted when flags bit 2 (E) is set                         |
///  +---------------------------------------------------------------+
///  |  AES-GCM tag (16 bytes), absent when flags bit 3 (N) is set    |
/// </code>
/// </summary>
public static class Capsule
{
    /// <summary>Bytes of the fixed header in front of the (offload header and) frame.</summary>
    public const int HeaderLength = 16;

    /// <summary>Bytes a capsule adds to a frame without offload header: the header and the authenticator.</summary>
    public const int Overhead = HeaderLength + CapsuleAuthenticator.TagLength;

    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 3;

    /// <summary>The version of the unauthenticated capsule of earlier releases (refused as unauthenticated).</summary>
    public const int UnauthenticatedVersion = 1;

    /// <summary>Offset of the 32-bit sender id; with the sequence number after it, the 12-byte AES-GCM nonce.</summary>
    public const int NonceOffset = 4;

    /// <summary>Bytes of the nonce: sender id and sequence number.</summary>
    public const int NonceLength = 12;

    /// <summary>Flag bit: the payload is an LZ4 block of the frame.</summary>
    public const int FlagCompressed = 0x1;

    /// <summary>Flag bit: an <see cref="OffloadHeader"/> follows the capsule header.</summary>
    public const int FlagOffload = 0x2;

    /// <summary>Flag bit: the body (frame or LZ4 block) is encrypted, not only authenticated.</summary>
    public const int FlagEncrypted = 0x4;

    /// <summary>
    /// Flag bit: no authenticator follows the body (a link created with <c>--auth off</c>, only for a
    /// trusted substrate or for measuring). Never together with <see cref="FlagEncrypted"/>.
    /// </summary>
    public const int FlagUnauthenticated = 0x8;

    /// <summary>Largest frame a capsule can describe.</summary>
    public const int MaxFrameLength = ushort.MaxValue;

    /// <summary>
    /// Writes the capsule of <paramref name="frame"/> into <paramref name="destination"/> and returns
    /// its length. With <paramref name="compress"/>, the frame is LZ4-compressed and sent so only
    /// when that makes it shorter; <paramref name="compressed"/> tells which happened.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> frame, Span<byte> destination, bool compress, out bool compressed) =>
        Encode(frame, default, destination, compress, out compressed, 0, 0, false);

    /// <summary>
    /// As <see cref="Encode(ReadOnlySpan{byte}, Span{byte}, bool, out bool)"/>, with what the far end's
    /// kernel must finish (<paramref name="offload"/>); a complete frame gets no offload header.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> frame, in OffloadHeader offload, Span<byte> destination, bool compress, out bool compressed) =>
        Encode(frame, offload, destination, compress, out compressed, 0, 0, false);

    /// <summary>
    /// Writes the capsule of <paramref name="frame"/> without its tag: header with
    /// <paramref name="sender"/> and <paramref name="sequence"/> (the nonce), flag E when
    /// <paramref name="encrypt"/>, offload header, body. Returns its length;
    /// <see cref="CapsuleAuthenticator.Seal"/> then appends the tag (and encrypts the body).
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> frame, in OffloadHeader offload, Span<byte> destination, bool compress, out bool compressed, uint sender, ulong sequence, bool encrypt) =>
        Encode(frame, offload, destination, compress, out compressed, sender, sequence, encrypt, authenticate: true);

    /// <summary>
    /// As the other overload; with <paramref name="authenticate"/> false the capsule gets flag N and
    /// is complete as written (no tag follows; a link with authentication off). Encrypting needs the
    /// authenticator, so <paramref name="encrypt"/> without <paramref name="authenticate"/> is refused.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase (measured: tiering cost ~30 % of throughput for the first 15 s)
    public static int Encode(ReadOnlySpan<byte> frame, in OffloadHeader offload, Span<byte> destination, bool compress, out bool compressed, uint sender, ulong sequence, bool encrypt, bool authenticate)
    {
        if (encrypt && !authenticate) throw new ArgumentException("a capsule is encrypted only with its authenticator", nameof(encrypt));
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
        destination[0] = (byte)((Version << 4) | (compressed ? FlagCompressed : 0) | (offloaded ? FlagOffload : 0) | (encrypt ? FlagEncrypted : 0) | (authenticate ? 0 : FlagUnauthenticated));
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)frame.Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sender);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], sequence);
        return headerLength + bodyLength;
    }

    /// <summary>
    /// Reads the sender id and sequence number of a received capsule (tag included), before it is
    /// authenticated: they choose the replay window and make the nonce. False, with
    /// <paramref name="status"/>, when it is too short to hold a header and a tag, has another version,
    /// or carries no tag (version 1, flag N: <see cref="CapsuleStatus.Unauthenticated"/>).
    /// </summary>
    public static bool TryReadSender(ReadOnlySpan<byte> capsule, out uint sender, out ulong sequence, out CapsuleStatus status)
    {
        sender = 0;
        sequence = 0;
        status = CapsuleStatus.Ok;
        if (capsule.Length >= 1 && capsule[0] >> 4 == UnauthenticatedVersion) { status = CapsuleStatus.Unauthenticated; return false; }
        if (capsule.Length >= 1 && capsule[0] >> 4 == Version && (capsule[0] & FlagUnauthenticated) != 0) { status = CapsuleStatus.Unauthenticated; return false; }
        if (capsule.Length < Overhead) { status = CapsuleStatus.Truncated; return false; }
        if (capsule[0] >> 4 != Version) { status = CapsuleStatus.BadVersion; return false; }
        sender = BinaryPrimitives.ReadUInt32BigEndian(capsule[4..]);
        sequence = BinaryPrimitives.ReadUInt64BigEndian(capsule[8..]);
        return true;
    }

    /// <summary>
    /// Checks the header of a capsule received on a link with authentication off: version 3 with
    /// flag N and without flag E. <see cref="CapsuleStatus.Authenticated"/> for a capsule that has (or
    /// would need) a tag: the two ends do not agree on the link's setting, or someone else sent it.
    /// </summary>
    public static CapsuleStatus CheckUnauthenticated(ReadOnlySpan<byte> capsule)
    {
        if (capsule.Length < HeaderLength) return CapsuleStatus.Truncated;
        if (capsule[0] >> 4 != Version) return CapsuleStatus.BadVersion;
        if ((capsule[0] & (FlagUnauthenticated | FlagEncrypted)) != FlagUnauthenticated) return CapsuleStatus.Authenticated;
        return CapsuleStatus.Ok;
    }

    /// <summary>Bytes in front of the body of the capsule <paramref name="capsule"/> (header, and the offload header under flag O).</summary>
    public static int BodyOffset(ReadOnlySpan<byte> capsule) => HeaderLength + ((capsule[0] & FlagOffload) != 0 ? OffloadHeader.Length : 0);

    /// <summary>
    /// Reads a capsule whose tag was checked and removed (<see cref="CapsuleAuthenticator.Open"/>),
    /// or one that has none (flag N, checked by <see cref="CheckUnauthenticated"/>).
    /// An uncompressed frame is returned as a slice of <paramref name="capsule"/>
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
