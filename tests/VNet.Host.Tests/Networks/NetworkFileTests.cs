using VNet.Actors.Networks;
using VNet.Messages;

namespace VNet.Host.Tests.Networks;

public class NetworkFileTests
{
    private const string Good = """
        <?xml version="1.0" encoding="utf-8"?>
        <network name="demo">
          <vm name="vm1" host="h1">
            <nic mac="02:00:00:00:01:01" />
          </vm>
          <vm name="vm2">
            <nic mac="02:00:00:00:02:01" />
          </vm>
          <link id="l1" kind="udp-p2p" protocol="200">
            <end vm="vm1" />
            <end vm="vm2" />
            <options compression="lz4" dscp="46" bandwidth="100M" burst="65536" delay="5" jitter="1" loss="0.5" encrypt="true" />
          </link>
        </network>
        """;

    [Fact]
    public void A_valid_file_reads_into_the_network_it_describes()
    {
        var n = NetworkFile.Parse(Good, "demo.xml");
        Assert.Equal(["vm1", "vm2"], n.Vms.Select(v => v.Name).ToArray());
        Assert.Equal("h1", n.Vms[0].Host);
        Assert.Null(n.Vms[1].Host);
        var l = Assert.Single(n.Links);
        Assert.Equal(LinkKind.UdpP2P, l.Kind);
        Assert.Equal(200, l.Protocol);
        Assert.Equal(new LinkOptions { Compression = Compression.Lz4, Dscp = 46, BandwidthBitsPerSecond = 100_000_000, BurstBytes = 65536, DelayMs = 5, JitterMs = 1, LossPercent = 0.5, Encrypt = true }, l.Options);
        Assert.Equal(9, l.Line);
    }

    [Fact]
    public void Write_then_parse_then_write_gives_the_same_bytes()
    {
        var first = NetworkFile.Write(NetworkFile.Parse(Good, "demo.xml"));
        var second = NetworkFile.Write(NetworkFile.Parse(first, "again.xml"));
        Assert.Equal(first, second);
        Assert.Contains("encrypt=\"true\"", first);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", first);
    }

    [Fact]
    public void Filter_src_reads_writes_back_and_is_off_by_default()
    {
        Assert.False(NetworkFile.Parse(Good, "demo.xml").Links[0].Options.FilterSource);
        var on = NetworkFile.Parse(Good.Replace("loss=\"0.5\"", "loss=\"0.5\" filter-src=\"true\""), "on.xml");
        Assert.True(on.Links[0].Options.FilterSource);
        Assert.Contains("filter-src=\"true\"", NetworkFile.Write(on));
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(Good.Replace("loss=\"0.5\"", "filter-src=\"1\""), "bad.xml"));
        Assert.Contains(e.Problems, p => p.Message.Contains("filter-src '1' must be true or false"));
    }

    [Fact]
    public void Auth_reads_writes_back_is_on_by_default_and_refuses_encrypt_when_off()
    {
        Assert.True(NetworkFile.Parse(Good, "demo.xml").Links[0].Options.Authenticate);
        var off = NetworkFile.Parse(Good.Replace("encrypt=\"true\"", "auth=\"false\""), "off.xml");
        Assert.False(off.Links[0].Options.Authenticate);
        var written = NetworkFile.Write(off);
        Assert.Contains("auth=\"false\"", written);
        Assert.False(NetworkFile.Parse(written, "again.xml").Links[0].Options.Authenticate);
        Assert.DoesNotContain("auth=", NetworkFile.Write(NetworkFile.Parse(Good, "demo.xml")));
        var both = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(Good.Replace("encrypt=\"true\"", "encrypt=\"true\" auth=\"false\""), "both.xml"));
        Assert.Contains(both.Problems, p => p.Message.Contains("encrypt needs authentication"));
        var bad = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(Good.Replace("encrypt=\"true\"", "auth=\"maybe\""), "bad.xml"));
        Assert.Contains(bad.Problems, p => p.Message.Contains("auth"));
    }

    [Fact]
    public void Malformed_xml_is_reported_with_its_line_and_column()
    {
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse("<network>\n  <vm name=\"a\">\n</network>", "bad.xml"));
        var p = Assert.Single(e.Problems);
        Assert.Equal(3, p.Line);
        Assert.Contains("malformed XML", p.Message);
        Assert.StartsWith("bad.xml:3:", p.ToString());
    }

    [Fact]
    public void Every_semantic_problem_is_reported_at_once_with_its_line()
    {
        const string bad = """
            <network name="x">
              <vm name="vm1"><nic mac="02:00:00:00:01:01"/></vm>
              <vm name="vm2"><nic mac="02:00:00:00:01:01"/></vm>
              <vm name="vm3"><nic mac="zz:00:00:00:01:01"/></vm>
              <link id="l1"><end vm="vm1"/><end vm="vm2"/></link>
              <link id="l1"><end vm="vm1"/><end vm="ghost"/></link>
              <link id="l2" protocol="99"><end vm="vm1"/><end vm="vm2"/></link>
              <link id="l3"><end vm="vm1"/><end vm="vm2"/><options bandwidth="lots" loss="120" delay="-1" dscp="64"/></link>
            </network>
            """;
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(bad, "x.xml"));
        var messages = string.Join("\n", e.Problems);
        Assert.Contains("duplicate MAC 02:00:00:00:01:01", messages);
        Assert.Contains("x.xml:4:", messages); // the bad MAC
        Assert.Contains("'zz:00:00:00:01:01' is not a MAC address", messages);
        Assert.Contains("protocol number '99' is out of range 143-252", messages);
        Assert.Contains("duplicate link id 'l1'", messages);
        Assert.Contains("x.xml:6:", messages);
        Assert.Contains("unknown VM 'ghost'", messages);
        Assert.Contains("bandwidth 'lots'", messages);
        Assert.Contains("loss '120' is out of range", messages);
        Assert.Contains("delay '-1' is out of range", messages);
        Assert.Contains("dscp '64' is out of range 0-63", messages);
        Assert.Equal(9, e.Problems.Count);
    }

    [Fact]
    public void The_schema_catches_structure_the_reader_does_not_look_at()
    {
        // A <vm> after the links breaks the schema's order; the reader does not mind order.
        const string bad = "<network>\n<link id=\"l1\"><end vm=\"a\"/></link>\n<vm name=\"a\"><nic mac=\"02:00:00:00:00:01\"/></vm>\n</network>";
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(bad, "s.xml"));
        Assert.Contains(e.Problems, p => p.Message.Contains("exactly 2 <end>"));
        Assert.Contains(e.Problems, p => p.Message.StartsWith("schema:"));
    }

    [Fact]
    public void Unknown_elements_and_options_are_named()
    {
        const string bad = "<network><router/><link id=\"l1\"><end vm=\"a\"/><end vm=\"b\"/><options colour=\"red\"/></link><vm name=\"a\"><nic mac=\"02:00:00:00:00:01\"/></vm><vm name=\"b\"><nic mac=\"02:00:00:00:00:02\"/></vm></network>";
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(bad, "u.xml"));
        Assert.Contains(e.Problems, p => p.Message.Contains("unknown element <router>"));
        Assert.Contains(e.Problems, p => p.Message.Contains("unknown option 'colour'"));
    }
}
