using System.Security.Cryptography;
using VNet.Capture.Frames;
using Xunit;

namespace VNet.Capture.Tests.Frames;

/// <summary>The AES-NI GCM against OpenSSL's (System.Security.Cryptography.AesGcm) and the GCM specification's vector.</summary>
public class AesGcmIntrinsicsTests
{
    private static bool Skip => !AesGcmIntrinsics.IsSupported;

    [Fact]
    public void Matches_the_specification_test_case_16()
    {
        if (Skip) return;
        var key = Convert.FromHexString("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        var nonce = Convert.FromHexString("cafebabefacedbaddecaf888");
        var plain = Convert.FromHexString("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        var aad = Convert.FromHexString("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        using var gcm = new AesGcmIntrinsics(key);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        gcm.Encrypt(nonce, plain, cipher, tag, aad);
        Assert.Equal("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662", Convert.ToHexStringLower(cipher));
        Assert.Equal("76fc6ece0f4e1768cddf8853bb2d551b", Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Tags_and_ciphertexts_equal_OpenSsl_for_random_inputs()
    {
        if (Skip) return;
        var random = new Random(20261203);
        int[] textLengths = [0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 1400, 1500, 9000, 65535];
        int[] aadLengths = [0, 1, 12, 15, 16, 17, 30, 32, 48, 100, 1434];
        foreach (var textLength in textLengths)
            foreach (var aadLength in aadLengths)
            {
                var key = new byte[32];
                var nonce = new byte[12];
                var plain = new byte[textLength];
                var aad = new byte[aadLength];
                random.NextBytes(key);
                random.NextBytes(nonce);
                random.NextBytes(plain);
                random.NextBytes(aad);
                using var reference = new AesGcm(key, 16);
                var expectedCipher = new byte[textLength];
                var expectedTag = new byte[16];
                reference.Encrypt(nonce, plain, expectedCipher, expectedTag, aad);
                using var gcm = new AesGcmIntrinsics(key);
                var cipher = new byte[textLength];
                var tag = new byte[16];
                gcm.Encrypt(nonce, plain, cipher, tag, aad);
                Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"tag differs for text {textLength}, aad {aadLength}");
                Assert.True(expectedCipher.AsSpan().SequenceEqual(cipher), $"ciphertext differs for text {textLength}, aad {aadLength}");
                var back = new byte[textLength];
                Assert.True(gcm.TryDecrypt(nonce, cipher, tag, back, aad));
                Assert.Equal(plain, back);
            }
    }

    [Fact]
    public void Encrypts_and_decrypts_in_place()
    {
        if (Skip) return;
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plain = RandomNumberGenerator.GetBytes(1000);
        var buffer = (byte[])plain.Clone();
        var tag = new byte[16];
        using var gcm = new AesGcmIntrinsics(key);
        gcm.Encrypt(nonce, buffer, buffer, tag, [1, 2, 3]);
        Assert.NotEqual(plain, buffer);
        Assert.True(gcm.TryDecrypt(nonce, buffer, tag, buffer, [1, 2, 3]));
        Assert.Equal(plain, buffer);
    }

    [Fact]
    public void A_changed_bit_anywhere_fails_and_leaves_the_ciphertext_as_it_was()
    {
        if (Skip) return;
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var aad = RandomNumberGenerator.GetBytes(20);
        var cipher = new byte[40];
        var tag = new byte[16];
        using var gcm = new AesGcmIntrinsics(key);
        gcm.Encrypt(nonce, RandomNumberGenerator.GetBytes(40), cipher, tag, aad);
        foreach (var target in new[] { "cipher", "aad", "tag", "nonce" })
        {
            var c = (byte[])cipher.Clone();
            var a = (byte[])aad.Clone();
            var t = (byte[])tag.Clone();
            var n = (byte[])nonce.Clone();
            (target switch { "cipher" => c, "aad" => a, "tag" => t, _ => n })[3] ^= 0x10;
            var copy = (byte[])c.Clone();
            Assert.False(gcm.TryDecrypt(n, c, t, c, a), $"a changed {target} was accepted");
            Assert.Equal(copy, c);
        }
    }

    [Fact]
    public void Capsule_authenticator_tags_are_the_same_with_either_implementation()
    {
        if (Skip) return;
        var key = CapsuleAuthenticator.NewKey();
        using var ni = new CapsuleAuthenticator(key);
        Assert.True(ni.UsesIntrinsics);
        CapsuleAuthenticator.ForceOpenSsl = true;
        CapsuleAuthenticator openSsl;
        try { openSsl = new CapsuleAuthenticator(key); }
        finally { CapsuleAuthenticator.ForceOpenSsl = false; }
        using (openSsl)
        {
            Assert.False(openSsl.UsesIntrinsics);
            foreach (var (encrypt, size) in new[] { (false, 300), (true, 300), (false, 5000), (true, 5000) })
            {
                // 300 bytes go through the instructions, 5000 (over IntrinsicsUpTo) through OpenSSL.
                var frame = RandomNumberGenerator.GetBytes(size);
                var a = new byte[size + 300];
                var b = new byte[size + 300];
                var length = Capsule.Encode(frame, default, a, false, out _, 1, 42, encrypt, true);
                Capsule.Encode(frame, default, b, false, out _, 1, 42, encrypt, true);
                var sealedA = ni.Seal(a, length);
                var sealedB = openSsl.Seal(b, length);
                Assert.Equal(a.AsSpan(0, sealedA).ToArray(), b.AsSpan(0, sealedB).ToArray());
                Assert.True(openSsl.Open(a.AsSpan(0, sealedA), out _));
                Assert.True(ni.Open(b.AsSpan(0, sealedB), out _));
            }
        }
    }
}
