using VNet.Capture.Frames;

namespace VNet.Capture.Transports;

/// <summary>
/// How a link carries capsules over the substrate: one file per link kind behind this interface.
/// Both directions of one link share one transport (one socket), used by two worker threads:
/// one only sends, the other only receives.
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>What this transport is, for logs and `link show` (e.g. "raw ip proto 201 192.0.2.10 -> 198.51.100.10").</summary>
    string Description { get; }

    /// <summary>Bytes the substrate adds in front of each capsule (IPv4 header, UDP header).</summary>
    int Overhead { get; }

    /// <summary>MTU of the substrate path toward the peer(s), as the kernel reports it.</summary>
    int PathMtu { get; }

    /// <summary>
    /// Sends the first <see cref="PacketBatch.Count"/> slots of <paramref name="batch"/>; returns how
    /// many the kernel accepted (the rest are the caller's to count as dropped).
    /// </summary>
    int Send(PacketBatch batch);

    /// <summary>
    /// Waits up to the receive timeout for capsules and fills <paramref name="batch"/>; returns the
    /// count (0 on timeout). Only capsules from the link's peers are returned.
    /// </summary>
    int Receive(PacketBatch batch);

    /// <summary>A descriptor that is readable when capsules wait (for a shared forwarder thread's epoll); -1: none.</summary>
    int ReceiveFd => -1;

    /// <summary>The capsule inside received slot <paramref name="index"/> (substrate headers removed).</summary>
    ReadOnlySpan<byte> Payload(PacketBatch batch, int index);

    /// <summary>
    /// When the kernel put several datagrams into received slot <paramref name="index"/> (UDP_GRO),
    /// their size (all but the last); 0 when the slot holds one.
    /// </summary>
    int CoalescedSegmentSize(PacketBatch batch, int index) => 0;

    /// <summary>Who sent received slot <paramref name="index"/> (IPv4 address in network order; 0 when unknown).</summary>
    uint Source(PacketBatch batch, int index) => 0;

    /// <summary>Datagrams the kernel dropped at this transport's receive socket since it was opened (-1 when unknown), as of the last <see cref="Receive"/>.</summary>
    long ReceiveDrops(PacketBatch batch) => batch.Count > 0 ? batch.DropCounter(batch.Count - 1) : -1;

    /// <summary>Sets the TOS byte (DSCP &lt;&lt; 2) of every capsule sent from now on.</summary>
    void SetTos(int tos);
}
