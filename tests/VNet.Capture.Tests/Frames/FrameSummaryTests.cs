using VNet.Capture.Frames;
using VNet.Capture.Taps;

namespace VNet.Capture.Tests.Frames;

/// <summary>
/// The decoded one-line summaries on real frames: <c>TestData/pcap/veth-pair.pcap</c> was recorded
/// with tcpdump on a veth pair between two throw-away namespaces (ARP, ping, ping6, a TCP connection,
/// one UDP datagram and its ICMP port-unreachable).
/// </summary>
public sealed class FrameSummaryTests
{
    private static readonly List<PcapRecord> Recorded =
        PcapRecords.Read(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "pcap", "veth-pair.pcap")), withFileHeader: true);

    private static string Summary(Func<string, bool> pick) => Recorded.Select(r => FrameSummary.Describe(r.Frame)).First(pick);

    [Fact]
    public void Arp_request_and_reply_read_as_who_has_and_is_at()
    {
        Assert.Equal("02:00:00:00:0a:01 > ff:ff:ff:ff:ff:ff, ARP who-has 10.250.0.2 tell 10.250.0.1, length 42", Summary(s => s.Contains("who-has 10.")));
        Assert.Equal("02:00:00:00:0b:01 > 02:00:00:00:0a:01, ARP reply 10.250.0.2 is-at 02:00:00:00:0b:01, length 42", Summary(s => s.Contains("ARP reply")));
    }

    [Fact]
    public void Icmp_echo_shows_addresses_id_and_sequence_for_both_ip_versions()
    {
        Assert.Equal("02:00:00:00:0a:01 > 02:00:00:00:0b:01, IPv4 10.250.0.1 > 10.250.0.2: ICMP echo request id 21201 seq 1, length 98", Summary(s => s.Contains("ICMP echo request")));
        Assert.Equal("02:00:00:00:0b:01 > 02:00:00:00:0a:01, IPv4 10.250.0.2 > 10.250.0.1: ICMP echo reply id 21201 seq 1, length 98", Summary(s => s.Contains("ICMP echo reply")));
        Assert.Equal("02:00:00:00:0a:01 > 02:00:00:00:0b:01, IPv6 fd00::1 > fd00::2: ICMP6 echo request id 21202 seq 1, length 118", Summary(s => s.Contains("ICMP6 echo request")));
        Assert.Equal("02:00:00:00:0b:01 > 02:00:00:00:0a:01, IPv6 fd00::2 > fd00::1: ICMP6 echo reply id 21202 seq 1, length 118", Summary(s => s.Contains("ICMP6 echo reply")));
        Assert.Contains("IPv6 fd00::1 > ff02::1:ff00:2: ICMP6 neighbor solicitation who-has fd00::2", Summary(s => s.Contains("who-has fd00::2")));
    }

    [Fact]
    public void Tcp_shows_ports_and_flags_as_tcpdump_writes_them()
    {
        var tcp = Recorded.Select(r => FrameSummary.Describe(r.Frame)).Where(s => s.Contains(": TCP")).ToList();
        Assert.Equal(8, tcp.Count);
        Assert.StartsWith("02:00:00:00:0a:01 > 02:00:00:00:0b:01, IPv4 10.250.0.1.59140 > 10.250.0.2.5001: TCP [S] seq 2933748273 win 64240, 0 byte(s)", tcp[0]);
        Assert.Contains("10.250.0.2.5001 > 10.250.0.1.59140: TCP [S.] seq 2835660817 ack 2933748274", tcp[1]);
        Assert.Contains("TCP [P.]", tcp[3]);
        Assert.Contains(", 5 byte(s)", tcp[3]);
        Assert.Contains("TCP [F.]", tcp[5]);
    }

    [Fact]
    public void Udp_shows_ports_and_its_port_unreachable_answer_is_named()
    {
        Assert.Equal("02:00:00:00:0a:01 > 02:00:00:00:0b:01, IPv4 10.250.0.1.54125 > 10.250.0.2.5353: UDP 1 byte(s), length 43", Summary(s => s.Contains("UDP")));
        Assert.Contains("IPv4 10.250.0.2 > 10.250.0.1: ICMP type 3 code 3 (UnreachablePort)", Summary(s => s.Contains("code 3")));
    }

    [Fact]
    public void A_vlan_tag_is_shown_before_what_it_carries()
    {
        // The recorded ARP request with an 802.1Q tag (TPID 0x8100, VLAN 10) put in after the MACs.
        var arp = Recorded.Select(r => r.Frame).First(f => FrameSummary.Describe(f).Contains("who-has 10."));
        byte[] tagged = [.. arp[..12], 0x81, 0x00, 0x00, 0x0a, .. arp[12..]];
        Assert.Equal("02:00:00:00:0a:01 > ff:ff:ff:ff:ff:ff, vlan 10, ARP who-has 10.250.0.2 tell 10.250.0.1, length 46", FrameSummary.Describe(tagged));
    }

    [Fact]
    public void Other_ethertypes_and_broken_frames_are_named_not_thrown()
    {
        byte[] lldp = [.. new byte[] { 0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc }, .. new byte[20]];
        Assert.StartsWith("02:00:00:00:00:01 > 01:80:c2:00:00:0e, ethertype 0x88cc", FrameSummary.Describe(lldp));
        Assert.Equal("truncated frame of 5 byte(s)", FrameSummary.Describe([1, 2, 3, 4, 5]));
        var ping = Recorded.Select(r => r.Frame).First(f => FrameSummary.Describe(f).Contains("ICMP echo request"));
        var cut = FrameSummary.Describe(ping[..20]);
        Assert.StartsWith("02:00:00:00:0a:01 > 02:00:00:00:0b:01, ", cut);
        Assert.EndsWith("length 20", cut);
    }

    [Fact]
    public void Every_recorded_frame_has_a_summary()
    {
        Assert.Equal(28, Recorded.Count);
        Assert.All(Recorded, r => Assert.DoesNotContain("malformed", FrameSummary.Describe(r.Frame)));
    }
}
