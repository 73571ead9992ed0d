using System.Buffers.Binary;
using System.Text;
using VNet.Capture.Interfaces;

namespace VNet.Capture.Tests.Interfaces;

/// <summary>Netlink link messages, built byte by byte as the kernel lays them out (little-endian host).</summary>
public sealed class LinkEventParserTests
{
    /// <summary>One nlmsghdr + ifinfomsg + the given rtattrs (type, value), each padded to 4 bytes.</summary>
    private static byte[] Message(ushort type, int index, uint flags, params (ushort Type, byte[] Value)[] attributes)
    {
        var body = new List<byte>();
        var ifinfo = new byte[16];
        ifinfo[0] = 0; // AF_UNSPEC
        BinaryPrimitives.WriteUInt16LittleEndian(ifinfo.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteInt32LittleEndian(ifinfo.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(ifinfo.AsSpan(8), flags);
        body.AddRange(ifinfo);
        foreach (var (t, v) in attributes)
        {
            var rta = new byte[(4 + v.Length + 3) & ~3];
            BinaryPrimitives.WriteUInt16LittleEndian(rta, (ushort)(4 + v.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(rta.AsSpan(2), t);
            v.CopyTo(rta, 4);
            body.AddRange(rta);
        }
        var message = new byte[16 + body.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        body.CopyTo(message, 16);
        return message;
    }

    private static byte[] Name(string name) => Encoding.ASCII.GetBytes(name + "\0");

    [Fact]
    public void A_new_link_that_is_up_is_read_with_its_name_and_index()
    {
        var mtu = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(mtu, 1500);
        var datagram = Message(LinkEventParser.NewLink, 7, 0x1043, (4, mtu), (LinkEventParser.IfNameAttribute, Name("vm3")));
        var e = Assert.Single(LinkEventParser.Parse(datagram));
        Assert.Equal(new LinkEvent("vm3", 7, Present: true, Up: true), e);
    }

    [Fact]
    public void A_deleted_link_and_a_down_link_are_not_up_and_several_messages_in_one_datagram_are_all_read()
    {
        var datagram = Message(LinkEventParser.NewLink, 8, 0x1002, (LinkEventParser.IfNameAttribute, Name("vm4")))
            .Concat(Message(LinkEventParser.DelLink, 7, 0x1043, (LinkEventParser.IfNameAttribute, Name("vm3"))))
            .ToArray();
        var events = LinkEventParser.Parse(datagram);
        Assert.Equal([new LinkEvent("vm4", 8, true, false), new LinkEvent("vm3", 7, false, false)], events);
    }

    [Fact]
    public void Other_message_types_truncated_messages_and_bad_attribute_lengths_yield_nothing_and_do_not_throw()
    {
        var address = Message(20 /* RTM_NEWADDR */, 7, 0, (LinkEventParser.IfNameAttribute, Name("vm3")));
        Assert.Empty(LinkEventParser.Parse(address));
        var good = Message(LinkEventParser.NewLink, 7, 1, (LinkEventParser.IfNameAttribute, Name("vm3")));
        Assert.Empty(LinkEventParser.Parse(good.AsSpan(0, good.Length - 3))); // header says longer than the datagram
        var bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(bad.AsSpan(32), 200); // rtattr longer than the message
        Assert.Empty(LinkEventParser.Parse(bad));
        Assert.Empty(LinkEventParser.Parse(new byte[10]));
        var zero = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(zero, 0); // nlmsg_len 0 must not loop
        Assert.Empty(LinkEventParser.Parse(zero));
    }
}
