using System.Collections.Immutable;
using VNet.Messages;

namespace VNet.Capture.Forwarding;

/// <summary>Why a frame did not make it across a link.</summary>
public enum DropReason
{
    /// <summary>Larger than the link can carry at all.</summary>
    Oversize,
    /// <summary>The token bucket was empty and its queue full.</summary>
    Shaper,
    /// <summary>Dropped on purpose by the loss impairment.</summary>
    Impairment,
    /// <summary>A received capsule that does not decode.</summary>
    DecodeError,
    /// <summary>The kernel refused to send the capsule.</summary>
    SendError,
    /// <summary>libpcap failed to inject the frame into the VM interface.</summary>
    InjectError,
    /// <summary>A packet of the link's protocol or port that does not come from one of its peers (ignored).</summary>
    Foreign,
    /// <summary>The kernel dropped frames before the capture could read them (pcap ring full).</summary>
    CaptureOverflow,
    /// <summary>The kernel dropped capsules before the link's socket could read them (receive buffer full).</summary>
    SocketOverflow,
    /// <summary>A received capsule whose authenticator is wrong or missing (forged, altered, or unauthenticated): never injected.</summary>
    AuthFailed,
    /// <summary>A received capsule already seen, or older than the replay window: never injected.</summary>
    Replayed,
}

/// <summary>
/// Counters of one direction of a link. Each direction has exactly one writer thread, so plain
/// increments suffice; readers take a snapshot (64-bit reads are atomic on 64-bit hosts).
/// </summary>
public sealed class DirectionStats
{
    private static readonly DropReason[] Reasons = Enum.GetValues<DropReason>();

    /// <summary>Frames carried.</summary>
    public long Frames;
    /// <summary>Bytes of the frames carried (Ethernet header included).</summary>
    public long Bytes;
    /// <summary>Bytes of the capsules on the substrate (without the IP/UDP headers).</summary>
    public long WireBytes;
    /// <summary>Frames sent compressed.</summary>
    public long Compressed;
    /// <summary>Frames larger than the substrate MTU allows, carried as IP fragments.</summary>
    public long Fragmented;
    /// <summary>Drops by <see cref="DropReason"/>.</summary>
    public readonly long[] Drops = new long[Reasons.Length];

    /// <summary>Counts one drop.</summary>
    public void Drop(DropReason reason) => Drops[(int)reason]++;

    /// <summary>A copy for messages.</summary>
    public DirectionCounters Snapshot() =>
        new(Volatile.Read(ref Frames), Volatile.Read(ref Bytes), Volatile.Read(ref WireBytes),
            Reasons.Where(r => Drops[(int)r] != 0).ToImmutableDictionary(r => Name(r), r => Volatile.Read(ref Drops[(int)r])))
        { CompressedFrames = Volatile.Read(ref Compressed), FragmentedFrames = Volatile.Read(ref Fragmented) };

    /// <summary>The name of a drop reason in counters and the CLI.</summary>
    public static string Name(DropReason reason) => reason switch
    {
        DropReason.Oversize => "oversize",
        DropReason.Shaper => "shaper",
        DropReason.Impairment => "impairment",
        DropReason.DecodeError => "decode-error",
        DropReason.SendError => "send-error",
        DropReason.InjectError => "inject-error",
        DropReason.Foreign => "foreign",
        DropReason.CaptureOverflow => "capture-overflow",
        DropReason.SocketOverflow => "socket-overflow",
        DropReason.AuthFailed => "auth-failed",
        DropReason.Replayed => "replayed",
        _ => reason.ToString(),
    };
}

/// <summary>Both directions of a link.</summary>
public sealed class LinkCounters
{
    /// <summary>VM → substrate.</summary>
    public DirectionStats ToSubstrate { get; } = new();

    /// <summary>Substrate → VM.</summary>
    public DirectionStats ToVm { get; } = new();

    /// <summary>
    /// Brings the counters up to date before they are read, where they are kept outside VNet (a
    /// kernel link's device statistics); null when the forwarders write them as frames pass.
    /// </summary>
    public Action? Refresh { get; set; }
}
