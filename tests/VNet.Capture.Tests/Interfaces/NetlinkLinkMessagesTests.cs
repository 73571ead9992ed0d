using System.Buffers.Binary;
using System.Text;
using VNet.Capture.Interfaces;

namespace VNet.Capture.Tests.Interfaces;

/// <summary>The rtnetlink link messages, read from bytes laid out as the kernel sends them.</summary>
public sealed class NetlinkLinkMessagesTests
{
    /// <summary>RTM_NEWLINK for "vm2", index 7, IFF_UP|IFF_BROADCAST, MTU 1430, with an extra attribute (IFLA_TXQLEN) to skip — written byte by byte.</summary>
    private static byte[] HandBuiltNewLink()
    {
        var b = new List<byte>();
        void U16(int v) { var x = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(x, (ushort)v); b.AddRange(x); }
        void U32(uint v) { var x = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(x, v); b.AddRange(x); }
        // nlmsghdr: length (filled below), type 16, flags 0, seq 0, pid 0
        U32(0); U16(16); U16(0); U32(0); U32(0);
        // ifinfomsg: family 0, pad, type 1 (ARPHRD_ETHER), index 7, flags IFF_UP|IFF_BROADCAST, change
        b.Add(0); b.Add(0); U16(1); U32(7); U32(0x1 | 0x2); U32(0xffffffff);
        // IFLA_TXQLEN (13) = 1000
        U16(8); U16(13); U32(1000);
        // IFLA_IFNAME (3) = "vm2\0", padded to 4
        U16(8); U16(3); b.AddRange(Encoding.ASCII.GetBytes("vm2")); b.Add(0);
        // IFLA_MTU (4) = 1430
        U16(8); U16(4); U32(1430);
        var bytes = b.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        return bytes;
    }

    [Fact]
    public void A_hand_built_newlink_gives_name_index_up_and_mtu()
    {
        Assert.True(BitConverter.IsLittleEndian); // netlink is in host order; the hand-built bytes are little-endian
        var messages = new List<LinkMessage>();
        Assert.Equal(1, NetlinkLinkMessages.Parse(HandBuiltNewLink(), messages));
        var m = Assert.Single(messages);
        Assert.Equal(LinkMessageKind.New, m.Kind);
        Assert.Equal(new InterfaceState("vm2", 7, true, 1430), m.Interface);
    }

    [Fact]
    public void The_builder_writes_what_the_hand_built_bytes_say()
    {
        var built = NetlinkLinkMessages.LinkMessage(NetlinkLinkMessages.RTM_NEWLINK, 7, 0x3, "vm2", 1430);
        var messages = new List<LinkMessage>();
        NetlinkLinkMessages.Parse(built, messages);
        Assert.Equal(new InterfaceState("vm2", 7, true, 1430), Assert.Single(messages).Interface);
    }

    [Fact]
    public void Several_messages_in_one_datagram_are_read_in_order()
    {
        byte[] datagram =
        [
            .. NetlinkLinkMessages.LinkMessage(NetlinkLinkMessages.RTM_NEWLINK, 1, 0x9, "lo", 65536, headerFlags: 2),
            .. NetlinkLinkMessages.LinkMessage(NetlinkLinkMessages.RTM_DELLINK, 7, 0x0, "vm2", 1500),
            .. NetlinkLinkMessages.Control(NetlinkLinkMessages.NLMSG_DONE),
        ];
        var messages = new List<LinkMessage>();
        Assert.Equal(3, NetlinkLinkMessages.Parse(datagram, messages));
        Assert.Equal([LinkMessageKind.New, LinkMessageKind.Deleted, LinkMessageKind.DumpDone], messages.Select(m => m.Kind));
        Assert.Equal(new InterfaceState("lo", 1, true, 65536), messages[0].Interface);
        Assert.Equal(new InterfaceState("vm2", 7, false, 1500), messages[1].Interface);
    }

    [Fact]
    public void An_error_carries_its_errno_and_an_acknowledgement_is_no_message()
    {
        var messages = new List<LinkMessage>();
        NetlinkLinkMessages.Parse([.. NetlinkLinkMessages.Control(NetlinkLinkMessages.NLMSG_ERROR, -1), .. NetlinkLinkMessages.Control(NetlinkLinkMessages.NLMSG_ERROR, 0)], messages);
        var m = Assert.Single(messages);
        Assert.Equal(LinkMessageKind.Error, m.Kind);
        Assert.Equal(1, m.Errno);
    }

    [Fact]
    public void Truncated_or_foreign_bytes_end_the_parse_without_throwing()
    {
        var whole = HandBuiltNewLink();
        var messages = new List<LinkMessage>();
        Assert.Equal(0, NetlinkLinkMessages.Parse(whole.AsSpan(0, whole.Length - 4), messages)); // length says more than there is
        Assert.Equal(0, NetlinkLinkMessages.Parse(new byte[10], messages));
        Assert.Equal(0, NetlinkLinkMessages.Parse(new byte[64], messages)); // length 0
        var badAttribute = (byte[])whole.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(badAttribute.AsSpan(32), 200); // first attribute longer than the message
        NetlinkLinkMessages.Parse(badAttribute, messages);
        Assert.Empty(messages); // no name could be read: not an interface this parser reports
    }

    [Fact]
    public void The_dump_request_asks_for_every_link()
    {
        var request = NetlinkLinkMessages.DumpRequest(5);
        Assert.Equal(32, request.Length);
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(request));
        Assert.Equal(NetlinkLinkMessages.RTM_GETLINK, BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(4)));
        Assert.Equal(NetlinkLinkMessages.NLM_F_REQUEST | NetlinkLinkMessages.NLM_F_DUMP, BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(6)));
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(8)));
    }
}

/// <summary>One interface name followed through netlink messages.</summary>
public sealed class InterfaceTrackerTests
{
    private static LinkMessage New(string name, int index, bool up = true, int mtu = 1500) => new(LinkMessageKind.New, new InterfaceState(name, index, up, mtu));
    private static LinkMessage Del(string name, int index) => new(LinkMessageKind.Deleted, new InterfaceState(name, index, false, 1500));
    private static readonly LinkMessage Done = new(LinkMessageKind.DumpDone, null);

    [Fact]
    public void A_dump_that_lists_the_interface_makes_it_present_once()
    {
        var t = new InterfaceTracker("vm2");
        t.BeginDump();
        Assert.False(t.Apply(New("lo", 1)));
        Assert.True(t.Apply(New("vm2", 7)));
        Assert.False(t.Apply(Done));
        Assert.Equal(7, t.Current!.Index);
    }

    [Fact]
    public void A_dump_without_it_says_absent()
    {
        var t = new InterfaceTracker("vm2");
        t.BeginDump();
        t.Apply(New("lo", 1));
        Assert.True(t.Apply(Done));
        Assert.True(t.Known);
        Assert.Null(t.Current);
    }

    [Fact]
    public void Deleted_then_created_again_with_a_new_index()
    {
        var t = new InterfaceTracker("vm2");
        t.Apply(New("vm2", 7));
        Assert.True(t.Apply(Del("vm2", 7)));
        Assert.Null(t.Current);
        Assert.False(t.Apply(Del("vm2", 7)));
        Assert.True(t.Apply(New("vm2", 9, up: false)));
        Assert.False(t.Current!.Up);
        Assert.True(t.Apply(New("vm2", 9, up: true)));
        Assert.Equal(new InterfaceState("vm2", 9, true, 1500), t.Current);
        Assert.False(t.Apply(New("vm2", 9, up: true))); // nothing new
        Assert.True(t.Apply(New("vm2", 9, mtu: 1430)));
    }

    [Fact]
    public void Renamed_away_is_absent_and_other_interfaces_do_not_matter()
    {
        var t = new InterfaceTracker("vm2");
        t.Apply(New("vm2", 7));
        Assert.False(t.Apply(New("vm3", 8)));
        Assert.False(t.Apply(Del("vm3", 8)));
        Assert.True(t.Apply(New("old-vm2", 7)));
        Assert.Null(t.Current);
    }

    [Fact]
    public void A_second_dump_that_no_longer_lists_it_says_it_went_away()
    {
        var t = new InterfaceTracker("vm2");
        t.Apply(New("vm2", 7));
        t.BeginDump(); // after lost events
        t.Apply(New("lo", 1));
        Assert.True(t.Apply(Done));
        Assert.Null(t.Current);
    }
}
