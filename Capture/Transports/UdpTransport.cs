using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// udp-p2p: each capsule is one UDP datagram between the two ports agreed during negotiation.
/// The socket is connected, so the kernel drops datagrams from anyone but the peer's port.
/// </summary>
public sealed class UdpTransport : SocketTransport
{
    /// <summary>Binds <paramref name="local"/>:<paramref name="localPort"/> and connects to the peer.</summary>
    public UdpTransport(IPAddress local, int localPort, IPAddress remote, int remotePort, int tos, int bufferBytes, TimeSpan receiveTimeout)
        : base(Prepared(BatchSocket.Open(Libc.SOCK_DGRAM, 0, bufferBytes, receiveTimeout), s =>
        {
            s.Bind(local, localPort);
            s.Connect(remote, remotePort);
        }))
    {
        SetTos(tos);
        PathMtu = Math.Max(576, Socket.GetInt(Libc.IPPROTO_IP, Libc.IP_MTU));
        LocalPort = Socket.LocalPort;
        Description = $"udp {local}:{LocalPort} -> {remote}:{remotePort}";
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
