using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace VNet.Capture.Frames;

/// <summary>
/// Adds and checks the AES-GCM authenticator of capsules under one link key (docs/wire-format.md).
/// The nonce is the capsule's own sender id and sequence number (header bytes 4–15), so it is never
/// sent twice as long as each sender of a key has its own id and never repeats a sequence number.
/// Without flag E the whole capsule is associated data and the plaintext is empty (GMAC); with E the
/// header and offload header are associated data and the body is encrypted in place.
/// Pure code: no sockets, no clocks; spans only, nothing allocated per capsule. One instance per
/// thread (AesGcm is not thread-safe).
/// </summary>
public sealed class CapsuleAuthenticator : IDisposable
{
    /// <summary>Bytes of the authenticator at the end of every capsule.</summary>
    public const int TagLength = 16;

    /// <summary>Bytes of a link key (AES-256).</summary>
    public const int KeyLength = 32;

    /// <summary>
    /// Capsules up to this many bytes are sealed and opened with the processor's AES instructions
    /// (<see cref="AesGcmIntrinsics"/>), larger ones with OpenSSL. Small capsules are what an idle or
    /// interactive link carries, where OpenSSL's first call after the thread slept costs 35–40 µs;
    /// large ones (TSO super-frames of a bulk transfer) come back to back, where OpenSSL's wide
    /// GHASH is faster than this code's one block at a time. Both give the same bytes.
    /// </summary>
    public const int IntrinsicsUpTo = 2048;

    private readonly AesGcmIntrinsics? _ni; // null without AES-NI/PCLMULQDQ: OpenSSL for every size
    private readonly AesGcm _aes;

    /// <summary>Creates the authenticator of <paramref name="key"/> (<see cref="KeyLength"/> bytes).</summary>
    public CapsuleAuthenticator(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength) throw new ArgumentException($"a link key has {KeyLength} bytes, not {key.Length}", nameof(key));
        _aes = new AesGcm(key, TagLength);
        if (AesGcmIntrinsics.IsSupported && !ForceOpenSsl) _ni = new AesGcmIntrinsics(key);
    }

    /// <summary>
    /// Takes the capsule in <paramref name="buffer"/>[0, <paramref name="length"/>) as
    /// <see cref="Capsule.Encode(ReadOnlySpan{byte}, in OffloadHeader, Span{byte}, bool, out bool, uint, ulong, bool)"/>
    /// wrote it, encrypts its body when its flag E is set, appends the tag and returns the new length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase
    public int Seal(Span<byte> buffer, int length)
    {
        var capsule = buffer[..length];
        var nonce = capsule.Slice(Capsule.NonceOffset, Capsule.NonceLength);
        var tag = buffer.Slice(length, TagLength);
        var ni = length <= IntrinsicsUpTo ? _ni : null;
        if ((capsule[0] & Capsule.FlagEncrypted) != 0)
        {
            var bodyOffset = Capsule.BodyOffset(capsule);
            var body = capsule[bodyOffset..];
            if (ni is not null) ni.Encrypt(nonce, body, body, tag, capsule[..bodyOffset]);
            else _aes.Encrypt(nonce, body, body, tag, capsule[..bodyOffset]); // in place: AesGcm allows identical buffers
        }
        else if (ni is not null) ni.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, capsule);
        else _aes.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, capsule);
        return length + TagLength;
    }

    /// <summary>
    /// Checks the tag of the received capsule <paramref name="capsule"/> (tag included; a header is
    /// assumed present, see <see cref="Capsule.TryReadSender"/>) and, under flag E, decrypts the body
    /// in place. True with the length of the capsule without its tag; false (nothing decrypted) when
    /// the tag is wrong or the capsule too short.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: full JIT at once, no tier-0 phase
    public bool Open(Span<byte> capsule, out int length)
    {
        length = 0;
        if (capsule.Length < Capsule.Overhead) return false;
        var sealedLength = capsule.Length - TagLength;
        var body = capsule[..sealedLength];
        var tag = capsule[sealedLength..];
        var nonce = capsule.Slice(Capsule.NonceOffset, Capsule.NonceLength);
        var ni = sealedLength <= IntrinsicsUpTo ? _ni : null;
        if ((capsule[0] & Capsule.FlagEncrypted) != 0)
        {
            var bodyOffset = Capsule.BodyOffset(capsule);
            if (bodyOffset > sealedLength) return false;
            var cipher = body[bodyOffset..];
            if (ni is not null)
            {
                if (!ni.TryDecrypt(nonce, cipher, tag, cipher, body[..bodyOffset])) return false;
            }
            else
            {
                try
                {
                    _aes.Decrypt(nonce, cipher, tag, cipher, body[..bodyOffset]);
                }
                catch (AuthenticationTagMismatchException)
                {
                    // AesGcm has no non-throwing decrypt; only a forged encrypted capsule gets here.
                    return false;
                }
            }
        }
        else
        {
            Span<byte> expected = stackalloc byte[TagLength];
            if (ni is not null) ni.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, expected, body);
            else _aes.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, expected, body);
            if (!CryptographicOperations.FixedTimeEquals(expected, tag)) return false;
        }
        length = sealedLength;
        return true;
    }

    /// <summary>A new random link key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeyLength);

    /// <inheritdoc/>
    public void Dispose()
    {
        _ni?.Dispose();
        _aes.Dispose();
    }

    /// <summary>True when small capsules' tags are made with the processor's AES instructions rather than OpenSSL (<see cref="IntrinsicsUpTo"/>).</summary>
    public bool UsesIntrinsics => _ni is not null;

    /// <summary>For tests and comparisons: authenticators made from now on use OpenSSL even where AES-NI exists.</summary>
    public static bool ForceOpenSsl { get; set; }
}
