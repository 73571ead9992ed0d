using System.Text;
using VNet.Actors.Commands.Palettes;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Networks;
using VNet.Host.Labs;
using VNet.Messages;

namespace VNet.Host.Tests.Networks;

/// <summary>Hostile network and lab files: every limit refuses at a line and column, before any document is built.</summary>
public class BoundedFileTests
{
    private const string Vms = "<vm name=\"vm1\"><nic mac=\"02:00:00:00:01:01\"/></vm>\n<vm name=\"vm2\"><nic mac=\"02:00:00:00:02:01\"/></vm>\n";

    private static FileProblem Refused(string xml, XmlFileLimits? limits = null)
    {
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(xml, "h.xml", limits));
        var p = e.Problems[0];
        Assert.True(p.Line > 0 && p.Column > 0, $"no line and column: {p}");
        Assert.StartsWith($"h.xml:{p.Line}:{p.Column}: ", p.ToString());
        return p;
    }

    [Fact]
    public void Sixty_thousand_nested_elements_are_refused_at_the_limit_without_recursion()
    {
        var xml = "<network>\n" + string.Concat(Enumerable.Repeat("<a>", 60_000)) + string.Concat(Enumerable.Repeat("</a>", 60_000)) + "\n</network>";
        var p = Refused(xml);
        Assert.Contains("nested deeper than the limit of 32", p.Message);
        Assert.Equal(2, p.Line);
        // <network> is depth 1 on line 1; the 32nd element is the 31st <a>, so the 33rd starts at column 3*31+1.
        Assert.Equal(3 * 31 + 1 + 1, p.Column);
    }

    [Fact]
    public void A_comment_longer_than_the_limit_is_refused_at_its_line()
    {
        var p = Refused($"<network>\n{Vms}<!--{new string('x', 100_000)}-->\n</network>");
        Assert.Contains("comment is 100000 characters, longer than the limit of 65536", p.Message);
        Assert.Equal(4, p.Line);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_where_it_crosses_it_before_parsing()
    {
        // Malformed past the limit: the size is what refuses it, not the XML.
        var xml = "<network>\n" + new string(' ', 2000) + "<<<";
        var p = Refused(xml, new XmlFileLimits(MaxBytes: 1000));
        Assert.Contains("larger than the limit of 1000 bytes", p.Message);
        Assert.Equal(2, p.Line);
        // The node's check on what a client sends: base64 content, over the default limit.
        var big = Encoding.UTF8.GetBytes("<network>\n<!--" + new string('x', (int)XmlFileLimits.DefaultMaxBytes) + "-->\n</network>");
        var rejected = NetworkContent.Parse("big.xml", big).Rejected!;
        Assert.Contains($"big.xml:2:", rejected.Problems.Single());
        Assert.Contains($"larger than the limit of {XmlFileLimits.DefaultMaxBytes} bytes", rejected.Problems.Single());
    }

    [Theory]
    [InlineData("<!DOCTYPE network [<!ENTITY e \"x\">]>\n<network/>", "DTD")]
    [InlineData("<network>\n<vm name=\"&e;\"/></network>", "e")]
    public void Dtds_and_entities_are_refused_with_their_line(string xml, string expected)
    {
        var p = Refused(xml);
        Assert.Contains("malformed XML", p.Message);
        Assert.Contains(expected, p.Message);
    }

    [Fact]
    public void The_five_xml_entities_and_character_references_still_read()
    {
        var n = NetworkFile.Parse("<network name=\"a&amp;b&lt;&#x41;\">\n<!-- &lt; -->\n</network>", "ok.xml");
        Assert.Equal("a&b<A", n.Name);
    }

    [Fact]
    public void A_foreign_namespace_is_refused_at_its_line_and_column()
    {
        var p = Refused("<?xml version=\"1.0\"?>\n  <network xmlns=\"urn:other\">\n</network>");
        Assert.Equal((2, 4), (p.Line, p.Column));
        Assert.Contains("namespace 'urn:other'", p.Message);
        var attribute = Refused($"<network xmlns:o=\"urn:o\">\n{Vms}<link id=\"l1\" o:x=\"1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link>\n</network>");
        Assert.Equal(4, attribute.Line);
        Assert.Contains("'o:x'", attribute.Message);
    }

    [Fact]
    public void Element_attribute_and_length_limits_refuse_at_the_offending_node()
    {
        var elements = Refused($"<network>\n{Vms}<vm/>\n</network>", new XmlFileLimits(MaxElements: 5));
        Assert.Equal(4, elements.Line);
        Assert.Contains("more than the limit of 5 elements", elements.Message);
        var attrs = Refused("<network>\n<vm a=\"1\" b=\"2\" c=\"3\"/></network>", new XmlFileLimits(MaxAttributes: 2));
        Assert.Equal(2, attrs.Line);
        Assert.Contains("3 attributes, more than the limit of 2", attrs.Message);
        Assert.Contains("attribute 'name' of <vm> is longer than the limit of 10", Refused("<network>\n<vm name=\"abcdefghijk\"/></network>", new XmlFileLimits(MaxAttributeLength: 10)).Message);
    }

    [Fact]
    public void Duplicates_are_refused_at_the_line_they_repeat_on()
    {
        const string xml = "<network>\n<vm name=\"vm1\"><nic mac=\"02:00:00:00:01:01\"/></vm>\n<vm name=\"vm1\"><nic mac=\"02:00:00:00:02:01\"/></vm>\n"
            + "<vm name=\"vm3\"><nic mac=\"02:00:00:00:02:01\"/></vm>\n"
            + "<link id=\"l1\"><end vm=\"vm1\"/><end vm=\"vm3\"/></link>\n<link id=\"l1\"><end vm=\"vm1\"/><end vm=\"vm3\"/></link>\n</network>";
        var e = Assert.Throws<NetworkFileException>(() => NetworkFile.Parse(xml, "d.xml"));
        var all = string.Join("\n", e.Problems);
        Assert.Contains("d.xml:3:2: VM 'vm1' is declared 2 times (first at line 2)", all);
        Assert.Contains("d.xml:4:2: duplicate MAC 02:00:00:00:02:01", all);
        Assert.Contains("d.xml:6:2: duplicate link id 'l1' (first at line 5)", all);
        Assert.All(e.Problems, p => Assert.True(p.Line > 0, $"no line: {p}"));
    }

    [Fact]
    public void Lab_files_have_the_same_limits_and_name_lines_for_duplicates()
    {
        var deep = "<lab name=\"x\">\n" + string.Concat(Enumerable.Repeat("<host>", 100)) + "</lab>";
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(deep, "lab.xml"));
        Assert.Contains("nested deeper than the limit", e.Problems[0].Message);
        Assert.Equal(2, e.Problems[0].Line);
        var foreign = Assert.Throws<NetworkFileException>(() => LabFile.Parse("<lab xmlns=\"urn:x\" name=\"x\"/>", "lab.xml"));
        Assert.Equal((1, 2), (foreign.Problems[0].Line, foreign.Problems[0].Column));
        const string dup = """
            <lab name="dup">
              <host name="h1"><interface subnet="a" address="192.0.2.10/24"/><vm name="vm1" mac="02:00:00:00:00:01"/></host>
              <host name="h1"><interface subnet="a" address="192.0.2.10/24"/><vm name="vm2" mac="02:00:00:00:00:01"/></host>
            </lab>
            """;
        var d = Assert.Throws<NetworkFileException>(() => LabFile.Parse(dup, "dup.xml"));
        var all = string.Join("\n", d.Problems);
        Assert.Contains("dup.xml:3:4: name 'h1' is used by 2", all);
        Assert.Contains("dup.xml:3:20: address 192.0.2.10", all);
        Assert.All(d.Problems, p => Assert.True(p.Line > 0, $"no line: {p}"));
    }

    [Fact]
    public void A_lab_file_over_the_size_limit_is_refused_reading_no_more_than_the_limit()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vnet-lab-{Guid.NewGuid():N}.xml");
        try
        {
            File.WriteAllText(path, "<lab name=\"big\">\n<!--" + new string('x', 5000) + "-->\n</lab>");
            var e = Assert.Throws<NetworkFileException>(() => LabFile.Load(path, new XmlFileLimits(MaxBytes: 1000)));
            Assert.Contains("larger than the limit of 1000 bytes", e.Problems[0].Message);
            Assert.Equal(2, e.Problems[0].Line);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
