using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

/// <summary>The vectors of docs/wire-format.md, checked both ways.</summary>
public class WireFormatVectorTests
{
    public static IEnumerable<object[]> Vectors() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "vectors", "capsules.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Select(f => new object[] { f[0], f[1], f[2], f[3] });

    [Fact]
    public void The_vector_file_has_the_documented_cases()
    {
        Assert.Equal(["arp-request", "vlan-tagged-non-ip", "compressible-ipv4", "incompressible-with-compression-on"],
            Vectors().Select(v => (string)v[0]).ToArray());
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Frame_encodes_to_the_documented_capsule(string name, string compression, string frameHex, string capsuleHex)
    {
        var frame = Convert.FromHexString(frameHex);
        var buffer = new byte[frame.Length + 64];
        var n = Capsule.Encode(frame, buffer, compression == "lz4", out _);
        Assert.True(capsuleHex == Convert.ToHexString(buffer, 0, n).ToLowerInvariant(), name);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Documented_capsule_decodes_to_the_frame(string name, string compression, string frameHex, string capsuleHex)
    {
        var status = Capsule.Decode(Convert.FromHexString(capsuleHex), new byte[Capsule.MaxFrameLength], out var frame, out var compressed);
        Assert.Equal(CapsuleStatus.Ok, status);
        Assert.Equal(frameHex, Convert.ToHexString(frame).ToLowerInvariant());
        Assert.Equal(compressed, capsuleHex.StartsWith("11"));
        _ = name;
        _ = compression;
    }
}
