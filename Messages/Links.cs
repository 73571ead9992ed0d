using System.Collections.Immutable;

namespace VNet.Messages;

/// <summary>State of a link as a host sees it.</summary>
public enum LinkStatus
{
    /// <summary>Protocol number being agreed.</summary>
    Negotiating,
    /// <summary>Data plane running.</summary>
    Established,
    /// <summary>A worker failed and is being restarted.</summary>
    Restarting,
    /// <summary>Workers failed past the restart limit, or the VM interface stayed away too long.</summary>
    Failed,
    /// <summary>A host of the link is not in the cluster.</summary>
    Down,
    /// <summary>
    /// The VM interface vanished: the workers are stopped until an interface of that name is back
    /// and up. Last, so the values of the others stay what older nodes send.
    /// </summary>
    Waiting,
}

/// <summary>Counters of one direction of a link.</summary>
public sealed record DirectionCounters(long Frames, long Bytes, long WireBytes, ImmutableDictionary<string, long> Drops)
{
    /// <summary>Frames that went compressed.</summary>
    public long CompressedFrames { get; init; }

    /// <summary>Frames carried as IP fragments because they exceed the substrate MTU.</summary>
    public long FragmentedFrames { get; init; }

    /// <summary>Capsule bytes per frame byte (below 1 when compression pays off); 1 when idle.</summary>
    public double CompressionRatio => Bytes == 0 ? 1.0 : (double)WireBytes / Bytes;

    /// <summary>All drops together.</summary>
    public long TotalDrops => Drops.Values.Sum();

    /// <summary>No traffic yet.</summary>
    public static DirectionCounters Empty { get; } = new(0, 0, 0, ImmutableDictionary<string, long>.Empty);
}

/// <summary>Requests to a HostActor about its links, and its replies.</summary>
public static class LinkProtocol
{
    /// <summary>Create <see cref="Link"/> with this host as initiator (the protocol number is negotiated).</summary>
    public sealed record Create(LinkSpec Link) : ILinkMessage;

    /// <summary>The link runs on this host with the agreed protocol number.</summary>
    public sealed record Created(LinkSpec Link, string Host) : ILinkMessage;

    /// <summary>The link could not be made; nothing of it remains on this host.</summary>
    public sealed record CreateFailed(string LinkId, string Reason) : ILinkMessage;

    /// <summary>Remove a link from this host (and tell its peers).</summary>
    public sealed record Delete(string LinkId) : ILinkMessage;

    /// <summary>Reply to <see cref="Delete"/>.</summary>
    public sealed record Deleted(string LinkId, bool Existed) : ILinkMessage;

    /// <summary>Change the options of a running link on this host (each end applies them to what it sends).</summary>
    public sealed record SetOptions(string LinkId, LinkOptions Options) : ILinkMessage;

    /// <summary>
    /// Capture a link's frames, both directions, on this host's VM interface for <see cref="Seconds"/>
    /// (null: until the sender terminates); the host streams pcap bytes to the sender as
    /// <see cref="CaptureChunk"/>s as they come and ends with <see cref="CaptureEnded"/>.
    /// </summary>
    /// <param name="LinkId">The link.</param>
    /// <param name="Seconds">How long; null = until the sender stops.</param>
    /// <param name="Filter">A BPF filter, or null for every frame.</param>
    /// <param name="MaxBytes">Stop at this many bytes of pcap; null = no limit.</param>
    public sealed record StartCapture(string LinkId, double? Seconds, string? Filter, long? MaxBytes) : ILinkMessage;

    /// <summary>A piece of a pcap file (the first one starts with the file header).</summary>
    public sealed record CaptureChunk(byte[] Data) : ILinkMessage;

    /// <summary>The capture is over: how many frames and bytes were written, or why it failed.</summary>
    public sealed record CaptureEnded(long Frames, long Bytes, bool Truncated, string? Error) : ILinkMessage;

    /// <summary>Ask a host for its link table.</summary>
    public sealed record GetTable : ILinkMessage
    {
        /// <summary>The single instance.</summary>
        public static GetTable Instance { get; } = new();
    }

    /// <summary>One row of a host's link table.</summary>
    public sealed record Row(LinkSpec Link, LinkStatus Status, string? Detail, DirectionCounters ToSubstrate, DirectionCounters ToVm, int VmMtu)
    {
        /// <summary>How this end sends and receives (socket kind, offloads), null before it started.</summary>
        public string? Transport { get; init; }
    }

    /// <summary>A host's link table.</summary>
    public sealed record Table(string Host, ImmutableArray<Row> Rows) : ILinkMessage;

    /// <summary>Sent by a LinkActor to its host when its status changes.</summary>
    public sealed record StatusChanged(string LinkId, LinkStatus Status, string? Detail) : ILinkMessage;
}
