namespace VNet.Capture.Frames;

/// <summary>
/// The anti-replay window of one sender (RFC 4303 §3.4.3, bitmap in blocks as RFC 6479): accepts a
/// sequence number once, and only if it is newer than <see cref="Size"/> numbers behind the newest
/// accepted. A jump ahead clears only the blocks it passes, so it costs at most one pass over the
/// bitmap. <see cref="Check"/> before authenticating (cheap refusal), <see cref="Accept"/> after.
/// Pure code; one writer (the receiving thread).
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>Sequence numbers behind the newest that are still accepted (the newest included).</summary>
    public const int Size = 1024;

    // One block more than the window, so that a block can be cleared for the newest numbers while
    // the oldest block of the window is still in use.
    private const int Blocks = Size / 64 + 1;
    private readonly ulong[] _bitmap = new ulong[Blocks];
    private ulong _newest; // 0: nothing accepted yet (senders start at 1)

    /// <summary>The newest sequence number accepted, 0 before any.</summary>
    public ulong Newest => _newest;

    /// <summary>True when <paramref name="sequence"/> would be accepted: not 0, not too old, not seen.</summary>
    public bool Check(ulong sequence)
    {
        if (sequence == 0) return false;
        if (sequence > _newest) return true;
        if (_newest - sequence >= Size) return false;
        return (_bitmap[(int)((sequence >> 6) % Blocks)] & (1UL << (int)(sequence & 63))) == 0;
    }

    /// <summary>Records <paramref name="sequence"/> (of an authenticated capsule); false when it is a replay or too old.</summary>
    public bool Accept(ulong sequence)
    {
        if (!Check(sequence)) return false;
        if (sequence > _newest)
        {
            var from = _newest >> 6;
            var to = sequence >> 6;
            // Clear the blocks between the old newest and the new one (at most all of them).
            var clear = Math.Min(to - from, (ulong)Blocks);
            for (ulong i = 1; i <= clear; i++) _bitmap[(int)((from + i) % Blocks)] = 0;
            _newest = sequence;
        }
        _bitmap[(int)((sequence >> 6) % Blocks)] |= 1UL << (int)(sequence & 63);
        return true;
    }
}
