using System.Buffers.Binary;
using System.Text;

namespace VNet.Capture.Interfaces;

/// <summary>An interface appeared, changed or went away (from a netlink RTM_NEWLINK / RTM_DELLINK).</summary>
/// <param name="Name">The interface name.</param>
/// <param name="Index">Its ifindex.</param>
/// <param name="Present">False for RTM_DELLINK.</param>
/// <param name="Up">IFF_UP is set.</param>
public readonly record struct LinkEvent(string Name, int Index, bool Present, bool Up);

/// <summary>
/// Parses the link messages of a NETLINK_ROUTE socket subscribed to RTMGRP_LINK: each datagram
/// holds one or more netlink messages (nlmsghdr, 16 bytes: length, type, flags, seq, pid), a link
/// message carries an ifinfomsg (16 bytes: family, pad, type, index, flags, change) and rtattrs,
/// of which IFLA_IFNAME (3) is the name. Pure and bounded: a truncated or malformed message ends
/// the parse of its datagram, nothing is thrown.
/// </summary>
public static class LinkEventParser
{
    /// <summary>RTM_NEWLINK.</summary>
    public const ushort NewLink = 16;
    /// <summary>RTM_DELLINK.</summary>
    public const ushort DelLink = 17;
    /// <summary>IFLA_IFNAME.</summary>
    public const ushort IfNameAttribute = 3;
    /// <summary>IFF_UP.</summary>
    public const uint IffUp = 1;

    /// <summary>The link events in one datagram, in order.</summary>
    public static List<LinkEvent> Parse(ReadOnlySpan<byte> datagram)
    {
        var events = new List<LinkEvent>();
        var offset = 0;
        while (datagram.Length - offset >= 16)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram[offset..]);
            if (length < 16 || length > datagram.Length - offset) break;
            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[(offset + 4)..]);
            var message = datagram.Slice(offset, length);
            if ((type == NewLink || type == DelLink) && length >= 32 && ParseLink(message[16..], type == NewLink) is { } e) events.Add(e);
            offset += Align(length);
        }
        return events;
    }

    private static LinkEvent? ParseLink(ReadOnlySpan<byte> body, bool present)
    {
        var index = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        var at = 16;
        while (body.Length - at >= 4)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(body[at..]);
            var kind = BinaryPrimitives.ReadUInt16LittleEndian(body[(at + 2)..]);
            if (len < 4 || len > body.Length - at) break;
            if (kind == IfNameAttribute)
            {
                var value = body.Slice(at + 4, len - 4);
                var nul = value.IndexOf((byte)0);
                var name = Encoding.ASCII.GetString(nul >= 0 ? value[..nul] : value);
                return new LinkEvent(name, index, present, present && (flags & IffUp) != 0);
            }
            at += Align(len);
        }
        return null;
    }

    private static int Align(int length) => (length + 3) & ~3;
}
