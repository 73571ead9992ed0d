using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// raw-multipoint: each capsule is an IPv4 packet with the segment's protocol number sent to a
/// multicast group. The host joins the group on its substrate interface, so the
/// kernel sends the IGMPv3 membership report (RFC 3376) and routers forward the group to it.
/// Several segments may share a group: they differ by protocol number, and the socket only sees
/// its own protocol. Only packets to the group from the segment's other members are accepted
/// (the receive filter the paper writes as <c>ip proto P and dst host G</c>), and only when they
/// arrived on the substrate interface (the socket is bound to it); multicast loopback is off, so a
/// host never receives its own capsules.
/// </summary>
public sealed class RawMulticastTransport : MulticastTransport
{
    private readonly uint _group;

    /// <summary>Opens the raw socket, joins <paramref name="group"/> on the interface of <paramref name="local"/>.</summary>
    public RawMulticastTransport(IPAddress local, IPAddress group, int protocol, MulticastMembers members, int tos, int ttl, int interfaceMtu, int bufferBytes, TimeSpan receiveTimeout)
        : base(Prepared(BatchSocket.Open(Libc.SOCK_RAW, protocol, bufferBytes, receiveTimeout), s =>
        {
            s.BindToSubstrate(local);
            Multicast.Join(s, local, group, ttl);
        }), group, 0, members)
    {
        SetTos(tos);
        _group = MulticastMembers.ToNetworkOrder(group);
        PathMtu = interfaceMtu;
        Description = $"raw ip proto {protocol} {local} -> group {group}";
    }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <inheritdoc/>
    public override int Overhead => 20;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> Payload(PacketBatch batch, int index)
    {
        var packet = batch.Filled(index);
        if (IPv4.Destination(packet) != _group || !Members.Contains(IPv4.Source(packet))) return default;
        return IPv4.StripHeader(packet);
    }
}

/// <summary>Multicast socket options shared by the two multipoint transports.</summary>
internal static unsafe class Multicast
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct IpMreq
    {
        public uint Group;
        public uint Interface;
    }

    /// <summary>Sends from <paramref name="local"/>'s interface with <paramref name="ttl"/>, no loopback, and joins <paramref name="group"/> there.</summary>
    public static void Join(BatchSocket socket, IPAddress local, IPAddress group, int ttl)
    {
        if (!IsMulticast(group)) throw new ArgumentException($"{group} is not an IPv4 multicast address (224.0.0.0/4)");
        var localAddr = MulticastMembers.ToNetworkOrder(local);
        if (Libc.setsockopt(socket.Fd, Libc.IPPROTO_IP, Libc.IP_MULTICAST_IF, &localAddr, sizeof(uint)) != 0)
            throw new System.Net.Sockets.SocketException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"IP_MULTICAST_IF {local} failed");
        socket.SetInt(Libc.IPPROTO_IP, Libc.IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL");
        socket.SetInt(Libc.IPPROTO_IP, Libc.IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
        var mreq = new IpMreq { Group = MulticastMembers.ToNetworkOrder(group), Interface = localAddr };
        if (Libc.setsockopt(socket.Fd, Libc.IPPROTO_IP, Libc.IP_ADD_MEMBERSHIP, &mreq, (uint)sizeof(IpMreq)) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new System.Net.Sockets.SocketException(errno, $"joining group {group} on {local} failed: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    public static bool IsMulticast(IPAddress a) => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (a.GetAddressBytes()[0] & 0xF0) == 0xE0;
}
