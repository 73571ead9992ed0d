using VNet.Host.Labs;

namespace VNet.Host.Tests.Labs;

public class LabGraphTests
{
    private static LabDefinition Lab(string name) => LabFile.Load(Path.Combine(RepoRoot(), "labs", name + ".xml"));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    [Fact]
    public void Dot_has_every_node_the_substrate_and_the_virtual_link()
    {
        var dot = LabGraph.Dot(Lab("two-hosts"));
        Assert.StartsWith("graph \"two-hosts\" {", dot);
        foreach (var node in new[] { "r", "h1", "h2", "vm1", "vm2" }) Assert.Contains($"\"{node}\" [label=", dot);
        Assert.Contains("\"r\" -- \"h1\" [label=\"a 192.0.2.0/24\"", dot);
        Assert.Contains("\"vm1\" -- \"vm2\" [label=\"l1 raw-p2p\"", dot);
        Assert.Contains("\"h1\" -- \"vm1\"", dot);
        Assert.EndsWith("}\n", dot);
    }

    [Fact]
    public void A_shared_subnet_and_a_multipoint_link_get_their_own_node()
    {
        var dot = LabGraph.Dot(Lab("three-hosts"));
        Assert.Contains("\"subnet:lan\" [label=\"lan 192.0.2.0/24\", shape=circle]", dot);
        Assert.Contains("\"link:seg1\" [label=\"seg1 raw-multipoint\", shape=diamond]", dot);
        foreach (var vm in new[] { "vm1", "vm2", "vm3" }) Assert.Contains($"\"{vm}\" -- \"link:seg1\"", dot);
    }

    [Fact]
    public void Mermaid_uses_identifiers_mermaid_accepts()
    {
        var mermaid = LabGraph.Mermaid(Lab("three-hosts"));
        Assert.StartsWith("flowchart LR\n", mermaid);
        Assert.Contains("subnet_lan((\"lan 192.0.2.0/24\"))", mermaid);
        Assert.Contains("vm1 === link_seg1", mermaid);
        Assert.DoesNotContain("subnet:lan", mermaid);
    }

    [Fact]
    public void Addresses_are_read_from_ip_addr_output_without_loopback()
    {
        const string output = """
            1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
            2: eth0    inet 192.0.2.10/24 scope global eth0\       valid_lft forever preferred_lft forever
            3: to-h2    inet 198.51.100.1/24 scope global to-h2\       valid_lft forever preferred_lft forever
            """;
        Assert.Equal(["192.0.2.10/24 (eth0)", "198.51.100.1/24 (to-h2)"], LabInspect.ParseAddresses(output));
    }

    [Fact]
    public void Pingall_pairs_are_the_vms_that_share_a_subnet()
    {
        var pairs = LabInspect.PingPairs(Lab("two-hosts")).Select(p => $"{p.From.Name}>{p.To.Name}").ToList();
        Assert.Equal(["vm1>vm2", "vm2>vm1"], pairs);
    }
}
