using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// udp-p2p: each capsule is one UDP datagram between the two ports agreed during negotiation.
/// The socket is connected, so the kernel drops datagrams from anyone but the peer's port.
/// </summary>
public sealed class UdpTransport : ITransport
{
    private readonly BatchSocket _socket;

    /// <summary>Binds <paramref name="local"/>:<paramref name="localPort"/> and connects to the peer.</summary>
    public UdpTransport(IPAddress local, int localPort, IPAddress remote, int remotePort, int tos, int bufferBytes, TimeSpan receiveTimeout)
    {
        _socket = BatchSocket.Open(Libc.SOCK_DGRAM, 0, bufferBytes, receiveTimeout);
        try
        {
            _socket.Bind(local, localPort);
            _socket.Connect(remote, remotePort);
            SetTos(tos);
            PathMtu = Math.Max(576, _socket.GetInt(Libc.IPPROTO_IP, Libc.IP_MTU));
            LocalPort = _socket.LocalPort;
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        Description = $"udp {local}:{LocalPort} -> {remote}:{remotePort}";
    }

    /// <summary>The bound local port.</summary>
    public int LocalPort { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public int Overhead => 28;

    /// <inheritdoc/>
    public int PathMtu { get; }

    /// <inheritdoc/>
    public int Send(PacketBatch batch) => _socket.Send(batch);

    /// <inheritdoc/>
    public int Receive(PacketBatch batch) => _socket.Receive(batch);

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Payload(PacketBatch batch, int index) => batch.Filled(index);

    /// <inheritdoc/>
    public void SetTos(int tos) => _socket.SetInt(Libc.IPPROTO_IP, Libc.IP_TOS, tos, "IP_TOS");

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();

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
