using System.Buffers.Binary;
using System.Globalization;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;

namespace VNet.Capture.Frames;

/// <summary>
/// One line per Ethernet frame, in the spirit of <c>tcpdump -n -e</c>: the MACs, the VLAN tag, then
/// what the frame carries (ARP who-has / reply, IPv4 or IPv6 source &gt; destination, ICMP echo id and
/// sequence, TCP flags and ports, UDP ports, or the ethertype of anything else). Pure: bytes in, text out,
/// decoded with PacketDotNet; a frame it cannot decode is named as such, never an exception.
/// </summary>
public static class FrameSummary
{
    /// <summary>The summary of one frame (without time or capture end).</summary>
    public static string Describe(byte[] frame)
    {
        if (frame.Length < 14) return $"truncated frame of {frame.Length} byte(s)";
        EthernetPacket ethernet;
        try
        {
            ethernet = new EthernetPacket(new PacketDotNet.Utils.ByteArraySegment(frame));
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            return $"undecodable frame of {frame.Length} byte(s)";
        }
        var line = new StringBuilder();
        line.Append(Mac(ethernet.SourceHardwareAddress)).Append(" > ").Append(Mac(ethernet.DestinationHardwareAddress));
        Packet? payload;
        EthernetType type;
        try
        {
            payload = ethernet.PayloadPacket;
            type = ethernet.Type;
            // 802.1Q (and a second, QinQ, tag): the VLAN id, then what the tag carries.
            while (payload is Ieee8021QPacket tag)
            {
                line.Append(", vlan ").Append(tag.VlanIdentifier.ToString(CultureInfo.InvariantCulture));
                type = tag.Type;
                payload = tag.PayloadPacket;
            }
            line.Append(", ").Append(Carried(type, payload));
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NullReferenceException)
        {
            line.Append(", malformed payload");
        }
        line.Append(", length ").Append(frame.Length.ToString(CultureInfo.InvariantCulture));
        return line.ToString();
    }

    private static string Carried(EthernetType type, Packet? payload) => payload switch
    {
        ArpPacket arp => Arp(arp),
        IPv4Packet ip => Ip("IPv4", ip),
        IPv6Packet ip => Ip("IPv6", ip),
        _ => $"ethertype 0x{(ushort)type:x4}" + (Enum.IsDefined(type) && type != EthernetType.None ? $" ({type})" : ""),
    };

    private static string Arp(ArpPacket arp) => arp.Operation switch
    {
        ArpOperation.Request => $"ARP who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}",
        ArpOperation.Response => $"ARP reply {arp.SenderProtocolAddress} is-at {Mac(arp.SenderHardwareAddress)}",
        var op => $"ARP {op} {arp.SenderProtocolAddress} > {arp.TargetProtocolAddress}",
    };

    private static string Ip(string family, IPPacket ip)
    {
        var head = $"{family} {ip.SourceAddress}";
        var to = ip.DestinationAddress.ToString();
        return ip.PayloadPacket switch
        {
            TcpPacket tcp => $"{head}.{tcp.SourcePort} > {to}.{tcp.DestinationPort}: TCP [{TcpFlags(tcp)}] seq {tcp.SequenceNumber}" +
                (tcp.Acknowledgment ? $" ack {tcp.AcknowledgmentNumber}" : "") + $" win {tcp.WindowSize}, {tcp.PayloadData?.Length ?? 0} byte(s)",
            UdpPacket udp => $"{head}.{udp.SourcePort} > {to}.{udp.DestinationPort}: UDP {Math.Max(0, udp.Length - 8)} byte(s)",
            IcmpV4Packet icmp => $"{head} > {to}: {IcmpV4(icmp)}",
            IcmpV6Packet icmp => $"{head} > {to}: {IcmpV6(icmp)}",
            _ => $"{head} > {to}: protocol {ip.Protocol} ({(int)ip.Protocol})",
        };
    }

    private static string IcmpV4(IcmpV4Packet icmp) => icmp.TypeCode switch
    {
        IcmpV4TypeCode.EchoRequest => $"ICMP echo request id {icmp.Id} seq {icmp.Sequence}",
        IcmpV4TypeCode.EchoReply => $"ICMP echo reply id {icmp.Id} seq {icmp.Sequence}",
        var tc => $"ICMP type {(ushort)tc >> 8} code {(ushort)tc & 0xff}" + (Enum.IsDefined(tc) ? $" ({tc})" : ""),
    };

    private static string IcmpV6(IcmpV6Packet icmp)
    {
        // RFC 4443 §4.1: identifier and sequence follow the type, code and checksum of an echo message.
        var bytes = icmp.BytesSegment;
        string Echo(string what) => bytes.Length >= 8
            ? $"ICMP6 echo {what} id {BinaryPrimitives.ReadUInt16BigEndian(bytes.Bytes.AsSpan(bytes.Offset + 4))} seq {BinaryPrimitives.ReadUInt16BigEndian(bytes.Bytes.AsSpan(bytes.Offset + 6))}"
            : $"ICMP6 echo {what}";
        return icmp.Type switch
        {
            IcmpV6Type.EchoRequest => Echo("request"),
            IcmpV6Type.EchoReply => Echo("reply"),
            IcmpV6Type.NeighborSolicitation when icmp.PayloadPacket is NdpNeighborSolicitationPacket ns => $"ICMP6 neighbor solicitation who-has {ns.TargetAddress}",
            var t => $"ICMP6 {Kebab(t.ToString())}",
        };
    }

    private static string TcpFlags(TcpPacket tcp)
    {
        // tcpdump's letters: S(YN) F(IN) P(USH) R(ST) U(RG), '.' for ACK.
        var flags = new StringBuilder();
        if (tcp.Synchronize) flags.Append('S');
        if (tcp.Finished) flags.Append('F');
        if (tcp.Push) flags.Append('P');
        if (tcp.Reset) flags.Append('R');
        if (tcp.Urgent) flags.Append('U');
        if (tcp.Acknowledgment) flags.Append('.');
        return flags.Length == 0 ? "none" : flags.ToString();
    }

    private static string Mac(PhysicalAddress address) =>
        string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static string Kebab(string name) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(name).Replace('-', ' ');
}
