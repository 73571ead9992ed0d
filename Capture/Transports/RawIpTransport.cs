using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Native;

namespace VNet.Capture.Transports;

/// <summary>
/// raw-p2p: each capsule is the payload of an IPv4 packet whose protocol field is the link's
/// negotiated number. The socket is bound to the substrate interface and address
/// and connected to the peer, so the kernel delivers only that peer's packets of that protocol,
/// and only when they arrived from the substrate (never a forged one from a VM port).
/// </summary>
public sealed class RawIpTransport : SocketTransport
{
    /// <summary>Opens the raw socket for <paramref name="protocol"/> between the two substrate addresses.</summary>
    public RawIpTransport(IPAddress local, IPAddress remote, int protocol, int tos, int bufferBytes, TimeSpan receiveTimeout)
        : base(Prepared(BatchSocket.Open(Libc.SOCK_RAW, protocol, bufferBytes, receiveTimeout), s =>
        {
            s.BindToSubstrate(local);
            s.Bind(local, 0);
            s.Connect(remote, 0);
        }))
    {
        SetTos(tos);
        PathMtu = Math.Max(576, Socket.GetInt(Libc.IPPROTO_IP, Libc.IP_MTU));
        Description = $"raw ip proto {protocol} {local} -> {remote}";
    }

    /// <inheritdoc/>
    public override string Description { get; }

    /// <inheritdoc/>
    public override int Overhead => 20;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> Payload(PacketBatch batch, int index) => IPv4.StripHeader(batch.Filled(index));
}

/// <summary>IPv4 header helpers for raw sockets, whose received buffers start with the header.</summary>
public static class IPv4
{
    /// <summary>The packet without its IPv4 header (empty when the header is malformed).</summary>
    public static ReadOnlySpan<byte> StripHeader(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4) return default;
        var headerLength = (packet[0] & 0x0f) * 4;
        return headerLength < 20 || headerLength > packet.Length ? default : packet[headerLength..];
    }

    /// <summary>The destination address field (network order) of an IPv4 packet.</summary>
    public static uint Destination(ReadOnlySpan<byte> packet) =>
        packet.Length < 20 ? 0 : System.Runtime.InteropServices.MemoryMarshal.Read<uint>(packet[16..]);

    /// <summary>The source address field (network order) of an IPv4 packet.</summary>
    public static uint Source(ReadOnlySpan<byte> packet) =>
        packet.Length < 20 ? 0 : System.Runtime.InteropServices.MemoryMarshal.Read<uint>(packet[12..]);
}
