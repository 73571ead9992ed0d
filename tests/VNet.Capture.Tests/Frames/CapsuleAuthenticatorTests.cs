using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Frames;

public class CapsuleAuthenticatorTests
{
    private static readonly byte[] Key = Convert.FromHexString("8f1e6c2a9b3d4e5f60718293a4b5c6d7e8f9011223344556677889900aabbccd");
    private static readonly OffloadHeader Tso = new(OffloadHeader.FlagNeedsChecksum, OffloadHeader.GsoTcpV4, 66, 1448, 34, 16);

    private static byte[] Frame(int length, int seed)
    {
        var f = new byte[length];
        new Random(seed).NextBytes(f);
        return f;
    }

    private static byte[] Seal(byte[] frame, in OffloadHeader offload, ulong sequence, bool encrypt, bool compress = false, byte[]? key = null)
    {
        var buffer = new byte[frame.Length + 64];
        using var auth = new CapsuleAuthenticator(key ?? Key);
        return buffer[..auth.Seal(buffer, Capsule.Encode(frame, offload, buffer, compress, out _, 7, sequence, encrypt))];
    }

    private static bool Opens(byte[] capsule, out byte[] frame, byte[]? key = null)
    {
        frame = [];
        using var auth = new CapsuleAuthenticator(key ?? Key);
        var copy = (byte[])capsule.Clone();
        if (!auth.Open(copy, out var length)) return false;
        if (Capsule.Decode(copy.AsSpan(0, length), new byte[Capsule.MaxFrameLength], out var f, out _) != CapsuleStatus.Ok) return false;
        frame = f.ToArray();
        return true;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_sealed_capsule_opens_to_its_frame(bool encrypt)
    {
        var frame = Frame(1400, 1);
        var capsule = Seal(frame, default, 1, encrypt);
        Assert.Equal(frame.Length + Capsule.Overhead, capsule.Length);
        Assert.True(Opens(capsule, out var back));
        Assert.Equal(frame, back);
    }

    [Fact]
    public void Authenticate_only_leaves_the_frame_readable_and_encrypt_hides_it()
    {
        var frame = Frame(200, 2);
        var plain = Seal(frame, default, 1, encrypt: false);
        var secret = Seal(frame, default, 1, encrypt: true);
        Assert.Equal(frame, plain[Capsule.HeaderLength..^CapsuleAuthenticator.TagLength]);
        Assert.NotEqual(frame, secret[Capsule.HeaderLength..^CapsuleAuthenticator.TagLength]);
        Assert.Equal(plain.Length, secret.Length);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Encrypt_round_trip_with_offload_header_and_compression(bool encrypt, bool compressible)
    {
        var frame = compressible ? Enumerable.Repeat((byte)0x41, 3000).ToArray() : Frame(3000, 3);
        var capsule = Seal(frame, Tso, 9, encrypt, compress: true);
        using var auth = new CapsuleAuthenticator(Key);
        Assert.True(auth.Open(capsule, out var length));
        Assert.Equal(CapsuleStatus.Ok, Capsule.Decode(capsule.AsSpan(0, length), new byte[65536], out var decoded, out var compressed, out var offload));
        Assert.Equal(compressible, compressed);
        Assert.Equal(Tso, offload);
        Assert.Equal(frame, decoded.ToArray());
    }

    public static IEnumerable<object[]> Regions()
    {
        // Offsets into a capsule of a 100-byte frame with an offload header: 16 header, 10 offload, 100 body, 16 tag.
        foreach (var encrypt in new[] { false, true })
        {
            yield return ["version/flags", 0, encrypt];
            yield return ["frame length", 3, encrypt];
            yield return ["sender id", 5, encrypt];
            yield return ["sequence", 12, encrypt];
            yield return ["offload header", 20, encrypt];
            yield return ["payload", 60, encrypt];
            yield return ["tag", 16 + 10 + 100 + 3, encrypt];
        }
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void A_capsule_with_any_byte_changed_is_refused(string region, int offset, bool encrypt)
    {
        var capsule = Seal(Frame(100, 4), Tso, 5, encrypt);
        Assert.Equal(16 + 10 + 100 + 16, capsule.Length);
        for (var bit = 0; bit < 8; bit++)
        {
            var tampered = (byte[])capsule.Clone();
            tampered[offset] ^= (byte)(1 << bit);
            if (offset == 0 && tampered[0] >> 4 != Capsule.Version) continue; // another version is refused before the tag (TryReadSender)
            Assert.False(Opens(tampered, out _), $"{region} bit {bit}");
        }
    }

    [Fact]
    public void A_truncated_or_extended_capsule_is_refused()
    {
        var capsule = Seal(Frame(100, 5), default, 1, false);
        Assert.False(Opens(capsule[..^1], out _));
        Assert.False(Opens([.. capsule, 0], out _));
        Assert.False(Opens(capsule[..(Capsule.Overhead - 1)], out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_wrong_key_is_refused(bool encrypt)
    {
        var capsule = Seal(Frame(100, 6), default, 1, encrypt);
        var other = (byte[])Key.Clone();
        other[31] ^= 1;
        Assert.False(Opens(capsule, out _, other));
    }

    [Fact]
    public void An_unauthenticated_version_1_capsule_is_told_apart_and_has_no_sender()
    {
        byte[] old = [0x10, 0, 0, 42, .. new byte[42]];
        Assert.False(Capsule.TryReadSender(old, out _, out _, out var status));
        Assert.Equal(CapsuleStatus.Unauthenticated, status);
        Assert.False(Capsule.TryReadSender([0x30, 0, 0, 1], out _, out _, out status));
        Assert.Equal(CapsuleStatus.Truncated, status);
    }

    [Fact]
    public void Key_must_have_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => new CapsuleAuthenticator(new byte[16]));
        Assert.Equal(32, CapsuleAuthenticator.NewKey().Length);
        Assert.NotEqual(CapsuleAuthenticator.NewKey(), CapsuleAuthenticator.NewKey());
    }
}

public class ReplayWindowTests
{
    private const ulong Size = ReplayWindow.Size;

    [Fact]
    public void Each_number_is_accepted_once()
    {
        var w = new ReplayWindow();
        Assert.True(w.Accept(1));
        Assert.False(w.Accept(1));
        Assert.False(w.Check(1));
        Assert.True(w.Accept(2));
        Assert.False(w.Accept(2));
    }

    [Fact]
    public void Zero_is_never_accepted()
    {
        Assert.False(new ReplayWindow().Check(0));
        Assert.False(new ReplayWindow().Accept(0));
    }

    [Fact]
    public void Reordered_numbers_inside_the_window_are_accepted_once()
    {
        var w = new ReplayWindow();
        Assert.True(w.Accept(2000));
        Assert.True(w.Accept(1999));
        Assert.True(w.Accept(2000 - Size + 1)); // the oldest the window holds
        Assert.False(w.Accept(1999));
        Assert.True(w.Accept(2001));
        Assert.Equal(2001UL, w.Newest);
    }

    [Fact]
    public void Numbers_older_than_the_window_are_refused()
    {
        var w = new ReplayWindow();
        Assert.True(w.Accept(5000));
        Assert.False(w.Check(5000 - Size));
        Assert.False(w.Accept(1));
        Assert.True(w.Check(5000 - Size + 1));
    }

    [Fact]
    public void A_far_jump_ahead_forgets_the_old_bitmap_but_not_the_replays()
    {
        var w = new ReplayWindow();
        for (ulong s = 1; s <= 100; s++) Assert.True(w.Accept(s));
        Assert.True(w.Accept(1_000_000));
        Assert.False(w.Check(100));                         // now too old
        Assert.True(w.Accept(1_000_000 - 64));              // bits of cleared blocks are free again
        Assert.True(w.Accept(1_000_000 - Size + 1));
        Assert.False(w.Accept(1_000_000));
        Assert.True(w.Accept(ulong.MaxValue - 1));          // the largest jump
        Assert.False(w.Accept(ulong.MaxValue - 1));
        Assert.True(w.Accept(ulong.MaxValue));
    }

    [Fact]
    public void The_bitmap_wraps_around_many_times_without_false_replays_or_misses()
    {
        var w = new ReplayWindow();
        var rng = new Random(11);
        ulong next = 1;
        var recent = new Queue<ulong>();
        for (var i = 0; i < 20_000; i++)
        {
            // Mostly in order, sometimes a little late, sometimes a block-sized jump.
            var jump = rng.Next(10) == 0 ? (ulong)rng.Next(1, 300) : 1UL;
            next += jump;
            Assert.True(w.Accept(next), $"new {next}");
            recent.Enqueue(next);
            if (recent.Count > 8) recent.Dequeue();
            foreach (var old in recent) Assert.False(w.Check(old), $"replay {old}");
            // Numbers skipped by the last jump, still inside the window, arrive late once.
            if (jump > 1 && jump < Size)
            {
                var late = next - jump + 1;
                Assert.True(w.Accept(late), $"late {late}");
                Assert.False(w.Accept(late), $"late replay {late}");
            }
        }
    }
}
