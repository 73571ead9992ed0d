using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// udp-multipoint: each capsule is a UDP datagram to the segment's group and port (paper
/// §III.B.4). Segments are told apart by group and port; only datagrams from the segment's other
/// members are accepted; loopback is off.
/// </summary>
public sealed unsafe class UdpMulticastTransport : ITransport
{
    private readonly BatchSocket _socket;
    private readonly MulticastMembers _members;
    private Libc.SockAddrIn _destination;

    /// <summary>Binds the group port, joins the group on <paramref name="local"/>'s interface.</summary>
    public UdpMulticastTransport(IPAddress local, IPAddress group, int port, MulticastMembers members, int tos, int ttl, int interfaceMtu, int bufferBytes, TimeSpan receiveTimeout)
    {
        _socket = BatchSocket.Open(Libc.SOCK_DGRAM, 0, bufferBytes, receiveTimeout);
        try
        {
            // Bound to the group address (not INADDR_ANY): the socket gets this group's datagrams only.
            _socket.SetInt(Libc.SOL_SOCKET, 2 /* SO_REUSEADDR */, 1, "SO_REUSEADDR");
            _socket.Bind(group, port);
            Multicast.Join(_socket, local, group, ttl);
            SetTos(tos);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        _members = members;
        _destination = Libc.SockAddr(group, port);
        PathMtu = interfaceMtu;
        Description = $"udp {local} -> group {group}:{port}";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public int Overhead => 28;

    /// <inheritdoc/>
    public int PathMtu { get; }

    /// <inheritdoc/>
    public int Send(PacketBatch batch)
    {
        fixed (Libc.SockAddrIn* d = &_destination)
        {
            batch.SetDestination(d);
            return _socket.Send(batch);
        }
    }

    /// <inheritdoc/>
    public int Receive(PacketBatch batch) => _socket.Receive(batch);

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Payload(PacketBatch batch, int index) =>
        _members.Contains(batch.SourceAddress(index)) ? batch.Filled(index) : default;

    /// <inheritdoc/>
    public void SetTos(int tos) => _socket.SetInt(Libc.IPPROTO_IP, Libc.IP_TOS, tos, "IP_TOS");

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
