using VNet.Capture.Forwarding;
using VNet.Capture.Frames;

namespace VNet.Capture.Tests.Forwarding;

/// <summary>A two-sender link key for forwarder tests: sender 0 sends, sender 1 receives.</summary>
internal static class TestSecurity
{
    public static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    /// <summary>The sending end (sender id 0).</summary>
    public static LinkSecurity Sender() => new(Key, 0, 2);

    /// <summary>The receiving end (sender id 1), which accepts capsules of sender 0.</summary>
    public static LinkSecurity Receiver() => new(Key, 1, 2);

    /// <summary>The sending end of a link with authentication off.</summary>
    public static LinkSecurity UnauthenticatedSender() => new(Key, 0, 2, authenticate: false);

    /// <summary>The receiving end of a link with authentication off.</summary>
    public static LinkSecurity UnauthenticatedReceiver() => new(Key, 1, 2, authenticate: false);

    /// <summary>The capsule sender 0 sends on a link with authentication off: flag N, no tag.</summary>
    public static byte[] Unsealed(byte[] frame, ulong sequence, bool compress = false)
    {
        var b = new byte[frame.Length + Capsule.Overhead + OffloadHeader.Length + 64];
        return b[..Capsule.Encode(frame, default, b, compress, out _, 0, sequence, encrypt: false, authenticate: false)];
    }

    /// <summary>The capsule sender 0 sends for <paramref name="frame"/> with sequence <paramref name="sequence"/>.</summary>
    public static byte[] Seal(byte[] frame, ulong sequence, bool compress = false, bool encrypt = false, uint sender = 0, byte[]? key = null)
    {
        var b = new byte[frame.Length + Capsule.Overhead + OffloadHeader.Length + 64];
        using var auth = new CapsuleAuthenticator(key ?? Key);
        var n = auth.Seal(b, Capsule.Encode(frame, default, b, compress, out _, sender, sequence, encrypt));
        return b[..n];
    }
}
