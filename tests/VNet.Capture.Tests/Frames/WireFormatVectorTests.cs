using System.Globalization;
using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

/// <summary>The vectors of docs/wire-format.md (docs/vectors/capsules.txt), checked both ways.</summary>
public class WireFormatVectorTests
{
    private static IEnumerable<string[]> Lines() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "vectors", "capsules.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries));

    private static byte[] Key => Convert.FromHexString(Lines().Single(f => f[0] == "key")[1]);

    public static IEnumerable<object[]> Vectors() =>
        Lines().Where(f => f[0] != "key").Select(f => new object[] { f[0], f[1], f[2], f[3], f[4], f[5], f[6] });

    [Fact]
    public void The_vector_file_has_the_documented_cases()
    {
        Assert.Equal(["arp-request", "vlan-tagged-non-ip", "compressible-ipv4", "incompressible-with-compression-on", "arp-request-encrypted", "compressible-ipv4-encrypted"],
            Vectors().Select(v => (string)v[0]).ToArray());
        Assert.Equal(CapsuleAuthenticator.KeyLength, Key.Length);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Frame_encodes_to_the_documented_capsule(string name, string compression, string protection, string sender, string sequence, string frameHex, string capsuleHex)
    {
        var frame = Convert.FromHexString(frameHex);
        var buffer = new byte[frame.Length + 64];
        using var auth = new CapsuleAuthenticator(Key);
        var n = auth.Seal(buffer, Capsule.Encode(frame, default, buffer, compression == "lz4", out _,
            uint.Parse(sender, CultureInfo.InvariantCulture), ulong.Parse(sequence, CultureInfo.InvariantCulture), protection == "encrypt"));
        Assert.True(capsuleHex == Convert.ToHexString(buffer, 0, n).ToLowerInvariant(), name);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Documented_capsule_authenticates_and_decodes_to_the_frame(string name, string compression, string protection, string sender, string sequence, string frameHex, string capsuleHex)
    {
        var capsule = Convert.FromHexString(capsuleHex);
        Assert.True(Capsule.TryReadSender(capsule, out var s, out var q, out _), name);
        Assert.Equal(uint.Parse(sender, CultureInfo.InvariantCulture), s);
        Assert.Equal(ulong.Parse(sequence, CultureInfo.InvariantCulture), q);
        using var auth = new CapsuleAuthenticator(Key);
        Assert.True(auth.Open(capsule, out var length), name);
        var status = Capsule.Decode(capsule.AsSpan(0, length), new byte[Capsule.MaxFrameLength], out var frame, out var compressed);
        Assert.Equal(CapsuleStatus.Ok, status);
        Assert.Equal(frameHex, Convert.ToHexString(frame).ToLowerInvariant());
        Assert.Equal(compressed, (capsule[0] & Capsule.FlagCompressed) != 0);
        Assert.Equal(protection == "encrypt", (capsule[0] & Capsule.FlagEncrypted) != 0);
        _ = compression;
    }
}
