using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

public class CapsuleTests
{
    private static byte[] Frame(int length, bool compressible)
    {
        var frame = new byte[length];
        if (compressible) Array.Fill(frame, (byte)0x41);
        else new Random(7).NextBytes(frame);
        return frame;
    }

    [Theory]
    [InlineData(60, false)]
    [InlineData(1514, false)]
    [InlineData(1514, true)]
    [InlineData(9014, true)]
    public void Encode_then_decode_gives_the_frame_back(int length, bool compress)
    {
        var frame = Frame(length, compressible: compress);
        var capsule = new byte[length + Capsule.HeaderLength];
        var written = Capsule.Encode(frame, capsule, compress, out var compressed);
        Assert.Equal(compress, compressed);
        var status = Capsule.Decode(capsule.AsSpan(0, written), new byte[Capsule.MaxFrameLength], out var decoded, out var wasCompressed);
        Assert.Equal(CapsuleStatus.Ok, status);
        Assert.Equal(compressed, wasCompressed);
        Assert.Equal(frame, decoded.ToArray());
    }

    [Fact]
    public void Incompressible_frame_is_sent_as_it_is_even_when_compression_is_on()
    {
        var frame = Frame(1000, compressible: false);
        var capsule = new byte[1100];
        var written = Capsule.Encode(frame, capsule, compress: true, out var compressed);
        Assert.False(compressed);
        Assert.Equal(1000 + Capsule.HeaderLength, written);
        Assert.Equal(0x30, capsule[0]);
    }

    [Fact]
    public void Compressible_frame_shrinks()
    {
        var frame = Frame(1500, compressible: true);
        var capsule = new byte[1600];
        var written = Capsule.Encode(frame, capsule, compress: true, out var compressed);
        Assert.True(compressed);
        Assert.True(written < 200, $"capsule of {written} bytes");
        Assert.Equal(0x31, capsule[0]);
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 0 }, CapsuleStatus.Truncated)]
    [InlineData(new byte[] { 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa }, CapsuleStatus.BadVersion)]
    [InlineData(new byte[] { 0x30, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa }, CapsuleStatus.BadLength)]
    [InlineData(new byte[] { 0x31, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff }, CapsuleStatus.BadCompression)]
    public void Malformed_capsules_are_rejected_not_thrown(byte[] capsule, CapsuleStatus expected)
    {
        Assert.Equal(expected, Capsule.Decode(capsule, new byte[100], out _, out _));
    }
}
