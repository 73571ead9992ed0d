using VNet.Capture.Frames;

namespace VNet.Capture.Taps;

/// <summary>Receives frames one at a time from a tap; the span is only valid during the call.</summary>
public interface IFrameSink
{
    /// <summary>Called for each captured frame, on the capture thread.</summary>
    void OnFrame(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Called for a frame the kernel left unfinished (<paramref name="offload"/>: a partial checksum or
    /// a TSO/GSO super-frame). Sinks that cannot carry the header get only the frame.
    /// </summary>
    void OnFrame(ReadOnlySpan<byte> frame, in OffloadHeader offload) => OnFrame(frame);
}

/// <summary>
/// A VM's interface as the data plane sees it: frames the VM sends are captured, frames for the
/// VM are injected. Implemented with libpcap on the host-side interface (tap or veth); tests use
/// an in-memory one.
/// </summary>
public interface IFrameTap : IDisposable
{
    /// <summary>The interface name.</summary>
    string Interface { get; }

    /// <summary>
    /// Delivers up to <paramref name="maxFrames"/> captured frames to <paramref name="sink"/>, waiting
    /// at most <paramref name="timeoutMicros"/> microseconds for the first; returns how many were
    /// delivered (0 on timeout). Microseconds, because a shaped or delayed link wakes up at each
    /// frame's departure time.
    /// </summary>
    int Dispatch(IFrameSink sink, int maxFrames, int timeoutMicros);

    /// <summary>Sends <paramref name="frame"/> out of the interface toward the VM; false on failure.</summary>
    bool Inject(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Queues <paramref name="frame"/> for the next <see cref="FlushQueued"/>, which sends all queued
    /// frames with one system call. The bytes must stay where they are until then (native memory).
    /// Taps that cannot batch send the frame at once.
    /// </summary>
    unsafe void Queue(byte* frame, int length) => Inject(new ReadOnlySpan<byte>(frame, length));

    /// <summary>
    /// As <see cref="Queue(byte*, int)"/>, for a frame the VM's kernel must finish as
    /// <paramref name="offload"/> says. Taps without offload support take only complete frames.
    /// </summary>
    unsafe void Queue(byte* frame, int length, in OffloadHeader offload) => Queue(frame, length);

    /// <summary>True when the tap delivers and accepts unfinished frames (<see cref="OffloadHeader"/>).</summary>
    bool SupportsOffload => false;

    /// <summary>Sends the queued frames; returns how many could not be sent.</summary>
    int FlushQueued() => 0;

    /// <summary>Frames the kernel dropped before this tap could capture them (ring full), since it was opened; -1 when unknown.</summary>
    long CaptureDrops => -1;

    /// <summary>A descriptor that is readable when captured frames wait (for a shared forwarder thread's epoll); -1: none.</summary>
    int WaitFd => -1;

    /// <summary>Makes a blocked <see cref="Dispatch"/> return soon (it returns within its timeout anyway).</summary>
    void Break();
}
