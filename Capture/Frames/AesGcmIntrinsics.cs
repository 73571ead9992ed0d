using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CryptographicOperations = System.Security.Cryptography.CryptographicOperations;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace VNet.Capture.Frames;

/// <summary>
/// AES-256-GCM (NIST SP 800-38D, 96-bit nonces, 16-byte tags) on the processor's AES and
/// carry-less multiply instructions, for the capsule tag on the data plane.
/// <para>
/// Why not <see cref="System.Security.Cryptography.AesGcm"/>: it calls OpenSSL, and the first OpenSSL call after a forwarder
/// thread slept costs 35–40 µs on the lab machines (measured: 0.8–1.3 µs when called back to back),
/// twice per round trip on an idle link. This code touches a few hundred bytes of its own and costs
/// about the same cold as warm. It is checked against <see cref="System.Security.Cryptography.AesGcm"/> on random keys, nonces,
/// lengths and associated data in the unit tests; without AES-NI and PCLMULQDQ the authenticator
/// uses <see cref="System.Security.Cryptography.AesGcm"/>.
/// </para>
/// GHASH follows Intel's carry-less multiplication white paper (Gueron and Kounavis): blocks are
/// byte-reflected, multiplied by H with Karatsuba-free four-product PCLMULQDQ, shifted left one bit
/// and reduced modulo x^128 + x^7 + x^2 + x + 1. AES rounds and the multiply run in constant time.
/// </summary>
public sealed class AesGcmIntrinsics : IDisposable
{
    private const int Rounds = 14;
    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[Rounds + 1];
    private Vector128<byte> _h; // E(K, 0), byte-reflected

    private static readonly Vector128<byte> Reflect = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    /// <summary>True when this processor has the instructions this code needs.</summary>
    public static bool IsSupported => Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>Expands a 32-byte key.</summary>
    public AesGcmIntrinsics(ReadOnlySpan<byte> key)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AES-NI and PCLMULQDQ are not available on this processor");
        if (key.Length != 32) throw new ArgumentException($"an AES-256 key has 32 bytes, not {key.Length}", nameof(key));
        ExpandKey(key);
        _h = Ssse3.Shuffle(EncryptBlock(Vector128<byte>.Zero), Reflect);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (may be the same memory) and writes the tag over both and <paramref name="associatedData"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        if (nonce.Length != 12) throw new ArgumentException("the nonce has 12 bytes", nameof(nonce));
        if (ciphertext.Length != plaintext.Length) throw new ArgumentException("ciphertext and plaintext differ in length", nameof(ciphertext));
        if (tag.Length != 16) throw new ArgumentException("the tag has 16 bytes", nameof(tag));
        var x = Hash(Vector128<byte>.Zero, associatedData);
        Ctr(nonce, plaintext, ciphertext);
        x = Hash(x, ciphertext);
        Finish(nonce, x, associatedData.Length, ciphertext.Length).CopyTo(tag);
    }

    /// <summary>Checks the tag and, when it matches, decrypts into <paramref name="plaintext"/> (may be the same memory); false, with nothing written, when it does not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (nonce.Length != 12) throw new ArgumentException("the nonce has 12 bytes", nameof(nonce));
        if (ciphertext.Length != plaintext.Length) throw new ArgumentException("ciphertext and plaintext differ in length", nameof(plaintext));
        if (tag.Length != 16) return false;
        var x = Hash(Vector128<byte>.Zero, associatedData);
        x = Hash(x, ciphertext);
        Span<byte> expected = stackalloc byte[16];
        Finish(nonce, x, associatedData.Length, ciphertext.Length).CopyTo(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag)) return false;
        Ctr(nonce, ciphertext, plaintext);
        return true;
    }

    private Vector128<byte> Finish(ReadOnlySpan<byte> nonce, Vector128<byte> x, int aadLength, int textLength)
    {
        // The lengths block in the reflected domain: high half = bits of associated data, low half = bits of text.
        var lengths = Vector128.Create((ulong)textLength * 8, (ulong)aadLength * 8).AsByte();
        x = GfMul(Sse2.Xor(x, lengths), _h);
        var j0 = Counter(nonce, 1);
        return Sse2.Xor(Ssse3.Shuffle(x, Reflect), EncryptBlock(j0));
    }

    private static Vector128<byte> Counter(ReadOnlySpan<byte> nonce, uint value)
    {
        Span<byte> block = stackalloc byte[16];
        nonce.CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[12..], value);
        return Vector128.Create<byte>(block);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Ctr(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> block = stackalloc byte[16];
        nonce.CopyTo(block);
        var counter = 2u;
        var offset = 0;
        for (; offset + 16 <= input.Length; offset += 16, counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter);
            var stream = EncryptBlock(Vector128.Create<byte>(block));
            Sse2.Xor(Vector128.Create<byte>(input.Slice(offset, 16)), stream).CopyTo(output.Slice(offset, 16));
        }
        if (offset < input.Length)
        {
            BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter);
            Span<byte> stream = stackalloc byte[16];
            EncryptBlock(Vector128.Create<byte>(block)).CopyTo(stream);
            for (var i = offset; i < input.Length; i++) output[i] = (byte)(input[i] ^ stream[i - offset]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Vector128<byte> Hash(Vector128<byte> x, ReadOnlySpan<byte> data)
    {
        var offset = 0;
        for (; offset + 16 <= data.Length; offset += 16)
            x = GfMul(Sse2.Xor(x, Ssse3.Shuffle(Vector128.Create<byte>(data.Slice(offset, 16)), Reflect)), _h);
        if (offset < data.Length)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            data[offset..].CopyTo(last);
            x = GfMul(Sse2.Xor(x, Ssse3.Shuffle(Vector128.Create<byte>(last), Reflect)), _h);
        }
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        var keys = _roundKeys;
        var s = Sse2.Xor(block, keys[0]);
        for (var i = 1; i < Rounds; i++) s = Aes.Encrypt(s, keys[i]);
        return Aes.EncryptLast(s, keys[Rounds]);
    }

    /// <summary>a·b in GF(2^128), both byte-reflected (the white paper's gfmul).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> GfMul(Vector128<byte> a8, Vector128<byte> b8)
    {
        var a = a8.AsUInt64();
        var b = b8.AsUInt64();
        var t3 = Pclmulqdq.CarrylessMultiply(a, b, 0x00).AsUInt32();
        var t4 = Pclmulqdq.CarrylessMultiply(a, b, 0x10).AsUInt32();
        var t5 = Pclmulqdq.CarrylessMultiply(a, b, 0x01).AsUInt32();
        var t6 = Pclmulqdq.CarrylessMultiply(a, b, 0x11).AsUInt32();
        t4 = Sse2.Xor(t4, t5);
        t5 = Sse2.ShiftLeftLogical128BitLane(t4, 8);
        t4 = Sse2.ShiftRightLogical128BitLane(t4, 8);
        t3 = Sse2.Xor(t3, t5);
        t6 = Sse2.Xor(t6, t4);
        // Shift the 256-bit product left by one bit.
        var t7 = Sse2.ShiftRightLogical(t3, 31);
        var t8 = Sse2.ShiftRightLogical(t6, 31);
        t3 = Sse2.ShiftLeftLogical(t3, 1);
        t6 = Sse2.ShiftLeftLogical(t6, 1);
        var t9 = Sse2.ShiftRightLogical128BitLane(t7, 12);
        t8 = Sse2.ShiftLeftLogical128BitLane(t8, 4);
        t7 = Sse2.ShiftLeftLogical128BitLane(t7, 4);
        t3 = Sse2.Or(t3, t7);
        t6 = Sse2.Or(t6, t8);
        t6 = Sse2.Or(t6, t9);
        // Reduce.
        t7 = Sse2.ShiftLeftLogical(t3, 31);
        t8 = Sse2.ShiftLeftLogical(t3, 30);
        t9 = Sse2.ShiftLeftLogical(t3, 25);
        t7 = Sse2.Xor(t7, t8);
        t7 = Sse2.Xor(t7, t9);
        t8 = Sse2.ShiftRightLogical128BitLane(t7, 4);
        t7 = Sse2.ShiftLeftLogical128BitLane(t7, 12);
        t3 = Sse2.Xor(t3, t7);
        var t2 = Sse2.ShiftRightLogical(t3, 1);
        t4 = Sse2.ShiftRightLogical(t3, 2);
        t5 = Sse2.ShiftRightLogical(t3, 7);
        t2 = Sse2.Xor(t2, t4);
        t2 = Sse2.Xor(t2, t5);
        t2 = Sse2.Xor(t2, t8);
        t3 = Sse2.Xor(t3, t2);
        return Sse2.Xor(t6, t3).AsByte();
    }

    private void ExpandKey(ReadOnlySpan<byte> key)
    {
        var k = _roundKeys;
        k[0] = Vector128.Create<byte>(key[..16]);
        k[1] = Vector128.Create<byte>(key[16..]);
        for (var i = 2; i <= Rounds; i++)
        {
            var previous = k[i - 2];
            var assist = i % 2 == 0
                ? Sse2.Shuffle(KeygenAssist(k[i - 1], i / 2).AsUInt32(), 0xFF)
                : Sse2.Shuffle(Aes.KeygenAssist(k[i - 1], 0).AsUInt32(), 0xAA);
            var t = previous.AsUInt32();
            var shifted = Sse2.ShiftLeftLogical128BitLane(t, 4);
            t = Sse2.Xor(t, shifted);
            shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
            t = Sse2.Xor(t, shifted);
            shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
            t = Sse2.Xor(t, shifted);
            k[i] = Sse2.Xor(t, assist).AsByte();
        }
    }

    /// <summary>AESKEYGENASSIST with round constant 2^(n-1); the instruction takes the constant as an immediate.</summary>
    private static Vector128<byte> KeygenAssist(Vector128<byte> k, int n) => n switch
    {
        1 => Aes.KeygenAssist(k, 0x01),
        2 => Aes.KeygenAssist(k, 0x02),
        3 => Aes.KeygenAssist(k, 0x04),
        4 => Aes.KeygenAssist(k, 0x08),
        5 => Aes.KeygenAssist(k, 0x10),
        6 => Aes.KeygenAssist(k, 0x20),
        _ => Aes.KeygenAssist(k, 0x40),
    };

    /// <summary>Clears the key schedule.</summary>
    public void Dispose()
    {
        MemoryMarshal.AsBytes(_roundKeys.AsSpan()).Clear();
        _h = default;
    }
}
