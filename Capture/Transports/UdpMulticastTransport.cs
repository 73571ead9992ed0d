using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// udp-multipoint: each capsule is a UDP datagram to the segment's group and port (the paper
/// §III.B.4), or a train of them when it is larger than one datagram (<see cref="Train"/>; Linux's
/// multicast routing forwards a segmentation-offload packet whole). Segments are told apart by
/// group and port; only datagrams from the segment's other members are accepted; loopback is off.
/// </summary>
public sealed unsafe class UdpMulticastTransport : MulticastTransport
{
    private readonly TrainSender _trains;

    /// <summary>Binds the group port, joins the group on <paramref name="local"/>'s interface.</summary>
    public UdpMulticastTransport(IPAddress local, IPAddress group, int port, MulticastMembers members, int tos, int ttl, int interfaceMtu, int bufferBytes, TimeSpan receiveTimeout)
        : base(Prepared(BatchSocket.Open(Libc.SOCK_DGRAM, 0, bufferBytes, receiveTimeout), s =>
        {
            // Bound to the group address (not INADDR_ANY): the socket gets this group's datagrams only.
            s.SetInt(Libc.SOL_SOCKET, 2 /* SO_REUSEADDR */, 1, "SO_REUSEADDR");
            // Only what arrived on the substrate interface: a VM port's forged datagram is never taken.
            s.BindToSubstrate(local);
            s.Bind(group, port);
            Multicast.Join(s, local, group, ttl);
        }), group, port, members)
    {
        SetTos(tos);
        PathMtu = interfaceMtu;
        _trains = TrainSender.ForSocket(Socket, PathMtu - Overhead);
        Description = $"udp {local} -> group {group}:{port}{(_trains.SegmentationOffload ? "" : " (no UDP segmentation offload)")}";
    }

    /// <inheritdoc/>
    public override int Send(PacketBatch batch)
    {
        if (!_trains.Needed(batch)) return base.Send(batch);
        fixed (Libc.SockAddrIn* d = &Destination) return _trains.Send(batch, d);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        base.Dispose();
        _trains.Dispose();
    }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <inheritdoc/>
    public override int Overhead => 28;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> Payload(PacketBatch batch, int index) =>
        Members.Contains(batch.SourceAddress(index)) ? batch.Filled(index) : default;
}
