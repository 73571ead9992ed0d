using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

public class OffloadCapsuleTests
{
    // The example of docs/wire-format.md: a TCPv4 super-frame of 65226 bytes, MSS 1448, checksum at 34 + 16.
    private static readonly OffloadHeader Tso = new(OffloadHeader.FlagNeedsChecksum, OffloadHeader.GsoTcpV4, 66, 1448, 34, 16);

    [Fact]
    public void A_super_frame_capsule_starts_as_the_wire_format_document_shows()
    {
        var frame = new byte[65226];
        new Random(3).NextBytes(frame);
        var capsule = new byte[frame.Length + 26];
        var written = Capsule.Encode(frame, Tso, capsule, compress: false, out _, 1, 7, false);
        Assert.Equal(frame.Length + 26, written);
        Assert.Equal("3200feca 00000001 0000000000000007 01010042 05a8002200 10".Replace(" ", ""), Convert.ToHexString(capsule, 0, 26).ToLowerInvariant());
        Assert.Equal(frame, capsule[26..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_offload_header_comes_back_with_the_frame_compressed_or_not(bool compressible)
    {
        var frame = new byte[3000];
        if (compressible) Array.Fill(frame, (byte)0x41); else new Random(5).NextBytes(frame);
        var capsule = new byte[frame.Length + 26];
        var written = Capsule.Encode(frame, Tso, capsule, compress: true, out var compressed);
        Assert.Equal(compressible, compressed);
        var status = Capsule.Decode(capsule.AsSpan(0, written), new byte[65536], out var decoded, out var wasCompressed, out var offload);
        Assert.Equal(CapsuleStatus.Ok, status);
        Assert.Equal(compressed, wasCompressed);
        Assert.Equal(Tso, offload);
        Assert.Equal(frame, decoded.ToArray());
    }

    [Fact]
    public void A_finished_frame_gets_no_offload_header_and_decodes_with_none()
    {
        var frame = new byte[100];
        var capsule = new byte[200];
        var written = Capsule.Encode(frame, default, capsule, compress: false, out _);
        Assert.Equal(116, written);
        Assert.Equal(0x30, capsule[0]);
        Assert.Equal(CapsuleStatus.Ok, Capsule.Decode(capsule.AsSpan(0, written), new byte[256], out _, out _, out var offload));
        Assert.True(offload.IsNone);
    }

    [Fact]
    public void An_offload_flag_without_its_header_is_truncated()
    {
        byte[] capsule = [0x12, 0, 0, 60, 1, 1, 0];
        Assert.Equal(CapsuleStatus.Truncated, Capsule.Decode(capsule, new byte[256], out _, out _, out _));
    }

    [Fact]
    public void A_vlan_tag_put_back_moves_the_checksum_start_and_header_length()
    {
        var shifted = Tso.ShiftedBy(4);
        Assert.Equal(38, shifted.ChecksumStart);
        Assert.Equal(70, shifted.HeaderLength);
        Assert.Equal(16, shifted.ChecksumOffset);
        Assert.Equal(default(OffloadHeader), default(OffloadHeader).ShiftedBy(4));
    }
}
