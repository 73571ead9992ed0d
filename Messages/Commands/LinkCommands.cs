using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="CreateLink"/>.</summary>
public interface ICreateLinkReply : ICommandReply;

/// <summary>Replies to <see cref="GetLinks"/>.</summary>
public interface IGetLinksReply : ICommandReply;

/// <summary>Replies to <see cref="SetLinkOptions"/>.</summary>
public interface ISetLinkOptionsReply : ICommandReply;

/// <summary>Replies to <see cref="DeleteLink"/>.</summary>
public interface IDeleteLinkReply : ICommandReply;

/// <summary>Replies to <see cref="GetLinkStats"/>.</summary>
public interface IGetLinkStatsReply : ICommandReply;

/// <summary>Replies to <see cref="CaptureLink"/>.</summary>
public interface ICaptureLinkReply : ICommandReply;

/// <summary>
/// <c>link create</c>: a link between VMs named by VM; the topology manager resolves hosts and
/// addresses. A VM written <c>vm@host</c> is pinned to that host; otherwise it goes to the
/// least-loaded host that offers it (lowest C_n).
/// </summary>
/// <param name="Id">The link id (1-32 letters, digits, '-', '_', '.').</param>
/// <param name="Kind">The link kind.</param>
/// <param name="Vms">The VMs joined (<c>vm</c> or <c>vm@host</c>).</param>
/// <param name="Options">The link's options.</param>
public sealed record CreateLink(string Id, LinkKind Kind, ImmutableArray<string> Vms, LinkOptions Options) : IRequest<ICreateLinkReply>
{
    /// <summary>A protocol number to propose first (from a network file); 0 = pick at random.</summary>
    public int PreferredProtocol { get; init; }
}

/// <summary>The link was made; its state as the topology manager holds it.</summary>
public sealed record LinkCreated(LinkState Link) : ICreateLinkReply;

/// <summary>
/// A link request was refused or failed; nothing of it was changed (a create leaves nothing
/// half-made). Answers <see cref="CreateLink"/>, <see cref="SetLinkOptions"/>, <see cref="DeleteLink"/>,
/// <see cref="GetLinks"/>, <see cref="GetLinkStats"/> and <see cref="CaptureLink"/>.
/// </summary>
/// <param name="Id">The link asked for, or null when the request named none.</param>
/// <param name="Problems">Every reason.</param>
public sealed record LinkRejected(string? Id, ImmutableArray<string> Problems)
    : ICreateLinkReply, IGetLinksReply, ISetLinkOptionsReply, IDeleteLinkReply, IGetLinkStatsReply, ICaptureLinkReply, IRejection;

/// <summary><c>link show</c>: every link, or only <paramref name="Id"/> (refused when there is no such link).</summary>
public sealed record GetLinks(string? Id = null) : IRequest<IGetLinksReply>;

/// <summary>The links asked for, ordered by id.</summary>
public sealed record LinkList(ImmutableArray<LinkState> Links) : IGetLinksReply;

/// <summary>
/// Options to change on a running link: only those that are not null. The topology manager applies
/// them to the link's current options in one step, so two concurrent changes of different options
/// both hold.
/// </summary>
public sealed record LinkOptionChanges
{
    /// <summary>Per-frame compression.</summary>
    public Compression? Compression { get; init; }

    /// <summary>DSCP 0-63 on every capsule.</summary>
    public int? Dscp { get; init; }

    /// <summary>Shaped rate in bit/s; 0 = unlimited.</summary>
    public long? BandwidthBitsPerSecond { get; init; }

    /// <summary>Token-bucket depth in bytes; 0 = 10 ms at the rate.</summary>
    public int? BurstBytes { get; init; }

    /// <summary>Added one-way delay in ms.</summary>
    public double? DelayMs { get; init; }

    /// <summary>Uniform jitter in ms.</summary>
    public double? JitterMs { get; init; }

    /// <summary>Loss in percent.</summary>
    public double? LossPercent { get; init; }

    /// <summary>Encrypt every frame, not only authenticate it.</summary>
    public bool? Encrypt { get; init; }

    /// <summary>Nothing to change.</summary>
    public static LinkOptionChanges None { get; } = new();

    /// <summary>True when no option is named.</summary>
    public bool IsEmpty => this == None;

    /// <summary><paramref name="current"/> with these changes.</summary>
    public LinkOptions ApplyTo(LinkOptions current) => current with
    {
        Compression = Compression ?? current.Compression,
        Dscp = Dscp ?? current.Dscp,
        BandwidthBitsPerSecond = BandwidthBitsPerSecond ?? current.BandwidthBitsPerSecond,
        BurstBytes = BurstBytes ?? current.BurstBytes,
        DelayMs = DelayMs ?? current.DelayMs,
        JitterMs = JitterMs ?? current.JitterMs,
        LossPercent = LossPercent ?? current.LossPercent,
        Encrypt = Encrypt ?? current.Encrypt,
    };
}

/// <summary><c>link set</c>: change options of a running link on every host it spans, without dropping it.</summary>
public sealed record SetLinkOptions(string Id, LinkOptionChanges Changes) : IRequest<ISetLinkOptionsReply>;

/// <summary>Every host of the link applies the new options; the link's state with them.</summary>
public sealed record LinkOptionsSet(LinkState Link) : ISetLinkOptionsReply;

/// <summary><c>link delete</c>: remove a link from every host.</summary>
public sealed record DeleteLink(string Id) : IRequest<IDeleteLinkReply>;

/// <summary>The link is gone from the desired network; every host it spans was told to drop it.</summary>
public sealed record LinkDeleted(string Id) : IDeleteLinkReply;

/// <summary><c>link stats</c>: per-direction counters of every link (or <paramref name="Id"/>) on every host that is up.</summary>
public sealed record GetLinkStats(string? Id = null) : IRequest<IGetLinkStatsReply>;

/// <summary>One direction of one link on one host.</summary>
/// <param name="Link">The link id.</param>
/// <param name="Host">The host the counters are from.</param>
/// <param name="Direction"><c>vm-&gt;net</c> (from the VM to the substrate) or <c>net-&gt;vm</c>.</param>
/// <param name="Counters">The counters.</param>
public sealed record LinkDirectionStats(string Link, string Host, string Direction, DirectionCounters Counters);

/// <summary>The counters asked for, by link, host and direction.</summary>
public sealed record LinkStats(ImmutableArray<LinkDirectionStats> Directions) : IGetLinkStatsReply;

/// <summary>
/// <c>link capture</c>: a link's frames, both directions, on the VM interface of one end or of every
/// end, streamed as one pcap byte stream (<see cref="CaptureData"/>) as they come. With every end,
/// the frames of the ends are interleaved in the order they reach the node that asked, each with the
/// time its own host captured it; each <see cref="CaptureData"/> names the end its frames are from.
/// </summary>
/// <param name="Id">The link id.</param>
/// <param name="Host">The host whose end is captured; null = the first end's (ignored with <paramref name="AllEnds"/>).</param>
/// <param name="AllEnds">Capture at every end of the link at once.</param>
/// <param name="Seconds">How long to capture (0.1-86400); null = until the request is cancelled.</param>
/// <param name="Filter">A BPF filter, or null for every frame.</param>
/// <param name="MaxBytes">Stop each end at this many bytes of pcap; null = no limit.</param>
public sealed record CaptureLink(string Id, string? Host, bool AllEnds, double? Seconds, string? Filter, long? MaxBytes) : IStreamRequest<CaptureData, ICaptureLinkReply>
{
    /// <summary>The longest capture with a time limit, in seconds.</summary>
    public const double MaxSeconds = 86400;
}

/// <summary>
/// A piece of the pcap stream: whole records only, all captured at <paramref name="Host"/>; the
/// first piece of a capture starts with the pcap file header.
/// </summary>
/// <param name="Host">The end (host) the records were captured at.</param>
/// <param name="Data">pcap bytes.</param>
public sealed record CaptureData(string Host, byte[] Data) : ICommandItem;

/// <summary>The capture is over: where it ran, for how long, and how many frames and bytes were written.</summary>
/// <param name="Id">The link id.</param>
/// <param name="Hosts">The ends captured.</param>
/// <param name="Seconds">How long the capture ran.</param>
/// <param name="Frames">Frames written, all ends.</param>
/// <param name="Bytes">pcap bytes written, file header included.</param>
/// <param name="Truncated">True when an end stopped at the size limit.</param>
public sealed record LinkCaptured(string Id, ImmutableArray<string> Hosts, double Seconds, long Frames, long Bytes, bool Truncated) : ICaptureLinkReply;
