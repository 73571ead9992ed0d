using System.Runtime.InteropServices;
using System.Text;

namespace VNet.Capture.Interfaces;

/// <summary>What one netlink message of the link family says.</summary>
public enum LinkMessageKind
{
    /// <summary>RTM_NEWLINK: the interface exists (created, changed, or listed by a dump).</summary>
    New,
    /// <summary>RTM_DELLINK: the interface is gone.</summary>
    Deleted,
    /// <summary>NLMSG_DONE: the end of a dump.</summary>
    DumpDone,
    /// <summary>NLMSG_ERROR with a non-zero error (e.g. a refused dump request).</summary>
    Error,
}

/// <summary>One parsed message: for <see cref="LinkMessageKind.New"/> and <see cref="LinkMessageKind.Deleted"/> the interface; for errors the errno.</summary>
public readonly record struct LinkMessage(LinkMessageKind Kind, InterfaceState? Interface, int Errno = 0);

/// <summary>
/// Pure reader and writer of the rtnetlink link messages (linux/netlink.h, linux/rtnetlink.h,
/// linux/if_link.h), in the host's byte order as the kernel sends them: a datagram holds one or
/// more <c>nlmsghdr</c> (length, type, flags, sequence, port id) each followed by an
/// <c>ifinfomsg</c> (family, type, index, flags, change) and 4-byte aligned attributes, of which
/// IFLA_IFNAME and IFLA_MTU are read. Anything else is skipped; a truncated message ends the parse.
/// </summary>
public static class NetlinkLinkMessages
{
    /// <summary>nlmsghdr size.</summary>
    public const int HeaderLength = 16;
    /// <summary>ifinfomsg size.</summary>
    public const int InfoLength = 16;
    /// <summary>Message types.</summary>
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3, RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
    /// <summary>Header flags.</summary>
    public const ushort NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300;
    /// <summary>Attribute types.</summary>
    public const ushort IFLA_IFNAME = 3, IFLA_MTU = 4;
    /// <summary>ifinfomsg flag: administratively up.</summary>
    public const uint IFF_UP = 1;

    /// <summary>Appends the messages of <paramref name="datagram"/> to <paramref name="into"/>; returns how many.</summary>
    public static int Parse(ReadOnlySpan<byte> datagram, List<LinkMessage> into)
    {
        var count = 0;
        var offset = 0;
        while (datagram.Length - offset >= HeaderLength)
        {
            var length = (int)Read<uint>(datagram, offset);
            var type = Read<ushort>(datagram, offset + 4);
            if (length < HeaderLength || length > datagram.Length - offset) break;
            var body = datagram.Slice(offset + HeaderLength, length - HeaderLength);
            switch (type)
            {
                case NLMSG_DONE:
                    into.Add(new LinkMessage(LinkMessageKind.DumpDone, null));
                    count++;
                    break;
                case NLMSG_ERROR when body.Length >= 4:
                    var error = Read<int>(body, 0);
                    if (error != 0)
                    {
                        into.Add(new LinkMessage(LinkMessageKind.Error, null, -error));
                        count++;
                    }
                    break;
                case RTM_NEWLINK or RTM_DELLINK when body.Length >= InfoLength:
                    if (ParseLink(body) is { } state)
                    {
                        into.Add(new LinkMessage(type == RTM_NEWLINK ? LinkMessageKind.New : LinkMessageKind.Deleted, state));
                        count++;
                    }
                    break;
            }
            offset += Align(length);
        }
        return count;
    }

    /// <summary>An ifinfomsg and its attributes; null when it names no interface.</summary>
    private static InterfaceState? ParseLink(ReadOnlySpan<byte> body)
    {
        var index = Read<int>(body, 4);
        var flags = Read<uint>(body, 8);
        string? name = null;
        var mtu = 0;
        var offset = InfoLength;
        while (body.Length - offset >= 4)
        {
            var length = Read<ushort>(body, offset);
            var type = (ushort)(Read<ushort>(body, offset + 2) & 0x3fff); // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
            if (length < 4 || length > body.Length - offset) break;
            var value = body.Slice(offset + 4, length - 4);
            if (type == IFLA_IFNAME)
            {
                var end = value.IndexOf((byte)0);
                name = Encoding.UTF8.GetString(end < 0 ? value : value[..end]);
            }
            else if (type == IFLA_MTU && value.Length >= 4)
            {
                mtu = (int)Read<uint>(value, 0);
            }
            offset += Align(length);
        }
        return string.IsNullOrEmpty(name) ? null : new InterfaceState(name, index, (flags & IFF_UP) != 0, mtu);
    }

    /// <summary>An RTM_GETLINK dump request (every interface of the namespace) with sequence <paramref name="sequence"/>.</summary>
    public static byte[] DumpRequest(uint sequence)
    {
        var bytes = new byte[HeaderLength + InfoLength];
        Write(bytes, 0, (uint)bytes.Length);
        Write(bytes, 4, RTM_GETLINK);
        Write(bytes, 6, (ushort)(NLM_F_REQUEST | NLM_F_DUMP));
        Write(bytes, 8, sequence);
        return bytes; // port id 0 (the kernel), ifinfomsg all zero: AF_UNSPEC, any interface
    }

    /// <summary>Builds one link message as the kernel would (for tests and documentation of the layout).</summary>
    public static byte[] LinkMessage(ushort type, int index, uint flags, string name, int mtu, ushort headerFlags = 0)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var nameAttr = 4 + nameBytes.Length;
        var length = HeaderLength + InfoLength + Align(nameAttr) + 8;
        var bytes = new byte[Align(length)];
        Write(bytes, 0, (uint)length);
        Write(bytes, 4, type);
        Write(bytes, 6, headerFlags);
        Write(bytes, HeaderLength + 4, index);
        Write(bytes, HeaderLength + 8, flags);
        Write(bytes, HeaderLength + 12, uint.MaxValue);
        var at = HeaderLength + InfoLength;
        Write(bytes, at, (ushort)nameAttr);
        Write(bytes, at + 2, IFLA_IFNAME);
        nameBytes.CopyTo(bytes, at + 4);
        at += Align(nameAttr);
        Write(bytes, at, (ushort)8);
        Write(bytes, at + 2, IFLA_MTU);
        Write(bytes, at + 4, (uint)mtu);
        return bytes;
    }

    /// <summary>A bare message of <paramref name="type"/> with a 4-byte body (NLMSG_DONE, or NLMSG_ERROR with −errno).</summary>
    public static byte[] Control(ushort type, int value = 0)
    {
        var bytes = new byte[HeaderLength + 4];
        Write(bytes, 0, (uint)bytes.Length);
        Write(bytes, 4, type);
        Write(bytes, HeaderLength, value);
        return bytes;
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static T Read<T>(ReadOnlySpan<byte> span, int offset) where T : unmanaged => MemoryMarshal.Read<T>(span[offset..]);

    private static void Write<T>(byte[] bytes, int offset, T value) where T : unmanaged => MemoryMarshal.Write(bytes.AsSpan(offset), in value);
}
