using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// udp-p2p: each capsule is one UDP datagram between the two ports agreed during negotiation, or a
/// train of them when it is larger than one datagram (<see cref="Train"/>), sent with UDP
/// segmentation offload where the kernel has it. The socket is connected, so the kernel drops
/// datagrams from anyone but the peer's port, and bound to the substrate interface, so it drops
/// those that arrived from anywhere else (a VM port); with UDP_GRO it hands over a train in one piece.
/// </summary>
public sealed class UdpTransport : SocketTransport
{
    private readonly TrainSender _trains;

    /// <summary>
    /// Binds <paramref name="local"/>:<paramref name="localPort"/> and connects to the peer.
    /// <paramref name="pathMtu"/> overrides the kernel's path MTU (0: ask the kernel; tests on loopback use it).
    /// </summary>
    public UdpTransport(IPAddress local, int localPort, IPAddress remote, int remotePort, int tos, int bufferBytes, TimeSpan receiveTimeout, int pathMtu = 0)
        : base(Prepared(BatchSocket.Open(Libc.SOCK_DGRAM, 0, bufferBytes, receiveTimeout), s =>
        {
            s.BindToSubstrate(local);
            s.Bind(local, localPort);
            s.Connect(remote, remotePort);
        }))
    {
        SetTos(tos);
        PathMtu = pathMtu > 0 ? pathMtu : Math.Max(576, Socket.GetInt(Libc.IPPROTO_IP, Libc.IP_MTU));
        LocalPort = Socket.LocalPort;
        _trains = TrainSender.ForSocket(Socket, PathMtu - Overhead);
        Description = $"udp {local}:{LocalPort} -> {remote}:{remotePort}{(_trains.SegmentationOffload ? "" : " (no UDP segmentation offload)")}";
    }

    /// <summary>True when the kernel cuts trains (UDP_SEGMENT); otherwise each segment is sent on its own.</summary>
    public bool SegmentationOffload => _trains.SegmentationOffload;

    /// <inheritdoc/>
    public override unsafe int Send(PacketBatch batch) => _trains.Needed(batch) ? _trains.Send(batch) : Socket.Send(batch);

    /// <inheritdoc/>
    public override void Dispose()
    {
        base.Dispose();
        _trains.Dispose();
    }

    /// <summary>The bound local port.</summary>
    public int LocalPort { get; }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <inheritdoc/>
    public override int Overhead => 28;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> Payload(PacketBatch batch, int index) => batch.Filled(index);

    /// <summary>
    /// Finds a UDP port that is free on <paramref name="local"/>, starting at <paramref name="first"/>
    /// and skipping <paramref name="taken"/>; used when a host offers its port during negotiation.
    /// </summary>
    public static int FindFreePort(IPAddress local, int first, int last, IReadOnlySet<int> taken)
    {
        for (var port = first; port <= last; port++)
        {
            if (taken.Contains(port)) continue;
            try
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
                probe.Bind(new IPEndPoint(local, port));
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }
        throw new InvalidOperationException($"no free UDP port in {first}-{last} on {local}");
    }
}
