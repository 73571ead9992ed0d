using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

/// <summary>The capsule of a link with authentication off: the same header with flag N and no tag.</summary>
public class UnauthenticatedCapsuleTests
{
    private static readonly OffloadHeader Tso = new(OffloadHeader.FlagNeedsChecksum, OffloadHeader.GsoTcpV4, 66, 1448, 34, 16);

    private static byte[] Frame(int length, int seed)
    {
        var f = new byte[length];
        new Random(seed).NextBytes(f);
        return f;
    }

    private static byte[] Encode(byte[] frame, in OffloadHeader offload, bool compress = false)
    {
        var buffer = new byte[frame.Length + 64];
        return buffer[..Capsule.Encode(frame, offload, buffer, compress, out _, 7, 42, encrypt: false, authenticate: false)];
    }

    [Fact]
    public void It_is_the_header_and_the_frame_with_flag_N_and_no_tag()
    {
        var frame = Frame(300, 1);
        var capsule = Encode(frame, default);
        Assert.Equal(frame.Length + Capsule.HeaderLength, capsule.Length);
        Assert.Equal(0x30 | Capsule.FlagUnauthenticated, capsule[0]);
        Assert.Equal(frame, capsule[Capsule.HeaderLength..]);
        Assert.Equal(CapsuleStatus.Ok, Capsule.CheckUnauthenticated(capsule));
        Assert.Equal(CapsuleStatus.Ok, Capsule.Decode(capsule, new byte[Capsule.MaxFrameLength], out var back, out var compressed));
        Assert.False(compressed);
        Assert.Equal(frame, back.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void It_round_trips_with_offload_header_and_compression(bool compressible)
    {
        var frame = compressible ? Enumerable.Repeat((byte)0x41, 3000).ToArray() : Frame(3000, 2);
        var capsule = Encode(frame, Tso, compress: true);
        Assert.Equal(CapsuleStatus.Ok, Capsule.CheckUnauthenticated(capsule));
        Assert.Equal(CapsuleStatus.Ok, Capsule.Decode(capsule, new byte[65536], out var decoded, out var compressed, out var offload));
        Assert.Equal(compressible, compressed);
        Assert.Equal(Tso, offload);
        Assert.Equal(frame, decoded.ToArray());
    }

    [Fact]
    public void Encrypting_without_the_authenticator_is_refused()
    {
        var buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => Capsule.Encode(Frame(100, 3), default, buffer, false, out _, 0, 1, encrypt: true, authenticate: false));
    }

    [Fact]
    public void An_authenticating_receiver_tells_it_apart_as_unauthenticated()
    {
        var capsule = Encode(Frame(100, 4), default);
        Assert.False(Capsule.TryReadSender(capsule, out _, out _, out var status));
        Assert.Equal(CapsuleStatus.Unauthenticated, status);
    }

    [Fact]
    public void A_receiver_with_auth_off_refuses_capsules_with_a_tag_and_malformed_ones()
    {
        var frame = Frame(100, 5);
        var sealedCapsule = new byte[frame.Length + 64];
        using (var auth = new CapsuleAuthenticator(CapsuleAuthenticator.NewKey()))
            sealedCapsule = sealedCapsule[..auth.Seal(sealedCapsule, Capsule.Encode(frame, default, sealedCapsule, false, out _, 0, 1, false))];
        Assert.Equal(CapsuleStatus.Authenticated, Capsule.CheckUnauthenticated(sealedCapsule));
        var flagged = Encode(frame, default);
        flagged[0] |= Capsule.FlagEncrypted; // N with E: no sender writes it, an encrypted body needs the tag
        Assert.Equal(CapsuleStatus.Authenticated, Capsule.CheckUnauthenticated(flagged));
        Assert.Equal(CapsuleStatus.Truncated, Capsule.CheckUnauthenticated([0x38, 0, 0]));
        byte[] version1 = [0x10, 0, 0, 100, .. frame];
        Assert.Equal(CapsuleStatus.BadVersion, Capsule.CheckUnauthenticated(version1));
    }
}
