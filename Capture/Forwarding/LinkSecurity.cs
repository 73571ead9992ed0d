using VNet.Capture.Frames;

namespace VNet.Capture.Forwarding;

/// <summary>
/// The authentication state of one link on one host, owned by its data plane so that it outlives
/// worker restarts: the link key, this host's sender id, the next sequence number to send and a
/// replay window per sender. A restarted vm-capture worker therefore continues the sequence (a
/// nonce is never reused under one key) and a restarted net-capture worker keeps refusing replays.
/// The key never leaves this object except into the forwarders' <see cref="CapsuleAuthenticator"/>s.
/// </summary>
public sealed class LinkSecurity
{
    private readonly byte[] _key;
    private readonly ReplayWindow[] _windows;

    /// <summary>
    /// Creates the state for the sender <paramref name="localSender"/> of a link with
    /// <paramref name="senders"/> senders (its endpoints; a sender id is the endpoint's index).
    /// <paramref name="authenticate"/> false: the link was created with authentication off, so its
    /// capsules carry no tag and are not checked (a trusted substrate, or measuring the cost).
    /// </summary>
    public LinkSecurity(ReadOnlySpan<byte> key, uint localSender, int senders, bool authenticate = true)
    {
        Authenticate = authenticate;
        if (key.Length != CapsuleAuthenticator.KeyLength) throw new ArgumentException($"a link key has {CapsuleAuthenticator.KeyLength} bytes, not {key.Length}", nameof(key));
        if (senders < 1 || localSender >= senders) throw new ArgumentOutOfRangeException(nameof(localSender), $"sender {localSender} of {senders}");
        _key = key.ToArray();
        LocalSender = localSender;
        _windows = new ReplayWindow[senders];
        for (var i = 0; i < senders; i++) _windows[i] = new ReplayWindow();
    }

    /// <summary>This host's sender id (the first 4 bytes of each nonce it uses).</summary>
    public uint LocalSender { get; }

    /// <summary>
    /// True (the default) when capsules are sealed and checked; false for a link created with
    /// authentication off, whose capsules carry flag N and no tag. Fixed for the link's life: both
    /// ends have it from the link's options.
    /// </summary>
    public bool Authenticate { get; }

    /// <summary>How many sender ids the link has.</summary>
    public int Senders => _windows.Length;

    /// <summary>
    /// The next sequence number this host sends; only the vm-capture thread writes it. Starts at 1
    /// (0 is never accepted, so an all-zero header cannot pass).
    /// </summary>
    public ulong NextSequence = 1;

    /// <summary>A new authenticator of the key, for one forwarder thread.</summary>
    public CapsuleAuthenticator CreateAuthenticator() => new(_key);

    /// <summary>
    /// The replay window of <paramref name="sender"/>, or null for an id that is not a peer
    /// (out of range, or this host's own: a capsule reflected back is refused).
    /// </summary>
    public ReplayWindow? WindowOf(uint sender) => sender < (uint)_windows.Length && sender != LocalSender ? _windows[sender] : null;

    /// <summary>Never the key.</summary>
    public override string ToString() => $"link security (sender {LocalSender} of {Senders}{(Authenticate ? "" : ", authentication off")})";
}
