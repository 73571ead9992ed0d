using Akka.Actor;
using Akka.Event;
using VNet.Capture.Taps;
using VNet.Messages;

namespace VNet.Actors.Hosts;

/// <summary>
/// One <c>link capture</c> on this host: its own pcap handle on the link's VM interface (both
/// directions; a control-plane dump, not the data path), streaming pcap bytes to the requester as
/// they come — the file header at once, then whatever each read returned — until the time is up,
/// the size limit is reached, or the requester goes away (the console's user pressed Ctrl-C or the
/// reader of the stream closed it). The pcap reads run on a task; the actor watches the requester
/// and stops the task when it terminates.
/// </summary>
public sealed class LinkCaptureActor : ReceiveActor
{
    private sealed record Finished
    {
        public static Finished Instance { get; } = new();
    }

    /// <summary>The longest one read of the pcap handle waits: how soon a stop is noticed.</summary>
    private const int ReadWaitMicros = 100_000;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkProtocol.StartCapture _capture;
    private readonly string _interface;
    private readonly string _host;
    private readonly IActorRef _requester;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Props.</summary>
    public static Props Props(LinkProtocol.StartCapture capture, string vmInterface, string host, IActorRef requester) =>
        Akka.Actor.Props.Create(() => new LinkCaptureActor(capture, vmInterface, host, requester));

    /// <summary>A capture of <paramref name="vmInterface"/> for <paramref name="requester"/>.</summary>
    public LinkCaptureActor(LinkProtocol.StartCapture capture, string vmInterface, string host, IActorRef requester)
    {
        _capture = capture;
        _interface = vmInterface;
        _host = host;
        _requester = requester;
        Receive<Terminated>(t => t.ActorRef.Equals(_requester), _ =>
        {
            _log.Info("capture of link {0} on {1} stopped: its reader went away", _capture.LinkId, _host);
            _stop.Cancel();
        });
        Receive<Finished>(_ => Context.Stop(Self));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        Context.Watch(_requester);
        var self = Self;
        var to = _requester;
        var capture = _capture;
        var vmInterface = _interface;
        var stop = _stop.Token;
        _log.Info("capture of link {0} on {1} ({2}) started{3}", capture.LinkId, _host, vmInterface,
            capture.Seconds is { } s ? $" for {s:0.#} s" : " until stopped");
        _ = Task.Run(() =>
        {
            var writer = new PcapWriter(chunk => to.Tell(new LinkProtocol.CaptureChunk(chunk)), maxBytes: capture.MaxBytes ?? long.MaxValue);
            string? error = null;
            try
            {
                using var tap = PcapFrameTap.OpenMonitor(vmInterface, capture.Filter ?? "");
                // The header goes out before any frame, so a live reader (Wireshark on a pipe) opens at once.
                writer.Flush();
                var until = capture.Seconds is { } seconds ? DateTime.UtcNow + TimeSpan.FromSeconds(seconds) : DateTime.MaxValue;
                while (!stop.IsCancellationRequested && DateTime.UtcNow < until && !writer.Truncated)
                {
                    var wait = capture.Seconds is null ? ReadWaitMicros : (int)Math.Clamp((until - DateTime.UtcNow).TotalMicroseconds, 0, ReadWaitMicros);
                    tap.Dispatch(writer, 256, wait);
                    writer.Flush();
                }
            }
            catch (Exception e) when (e is InvalidOperationException or SharpPcap.PcapException)
            {
                error = e.InnerException?.Message ?? e.Message;
            }
            to.Tell(new LinkProtocol.CaptureEnded(writer.Frames, writer.Bytes, writer.Truncated, error));
            self.Tell(Finished.Instance);
        }, CancellationToken.None);
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
