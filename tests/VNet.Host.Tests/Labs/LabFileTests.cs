using VNet.Actors.Networks;
using VNet.Host.Labs;

namespace VNet.Host.Tests.Labs;

public class LabFileTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    [Fact]
    public void The_shipped_labs_parse()
    {
        var two = LabFile.Load(RepoFile("labs/two-hosts.xml"));
        Assert.Equal(["h1", "h2"], two.Hosts.Select(h => h.Name).ToArray());
        Assert.Equal("192.0.2.10", two.Hosts[0].Address.ToString());
        Assert.Equal(["vm1", "vm2"], two.Vms.Select(v => v.Name).ToArray());
        Assert.Equal("l1", Assert.Single(two.Network.Links).Id);
        var three = LabFile.Load(RepoFile("labs/three-hosts.xml"));
        Assert.Equal(4, three.Subnets["lan"].Count());
    }

    [Fact]
    public void Lab_problems_are_all_reported_with_lines()
    {
        const string bad = """
            <lab name="Bad Name">
              <router name="r"><interface name="a" subnet="s1" address="192.0.2.1/24"/></router>
              <host name="h1">
                <interface name="eth0" subnet="s1" address="192.0.2.300/24" gateway="192.0.2.1"/>
                <vm name="vm1" mac="02:00:00:00:00:01"/>
                <vm name="vm9" mac="03:00:00:00:00:09"/>
              </host>
              <host name="h2">
                <interface name="eth0" subnet="s1" address="198.51.100.2/24" gateway="192.0.2.99"/>
                <vm name="vm1" mac="02:00:00:00:00:02"/>
              </host>
            </lab>
            """;
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(bad, "bad.xml"));
        var all = string.Join("\n", e.Problems);
        Assert.Contains("lab name 'Bad Name'", all);
        Assert.Contains("bad.xml:4:", all);
        Assert.Contains("'192.0.2.300/24' is not IPv4/prefix", all);
        Assert.Contains("multicast MAC", all);
        Assert.Contains("name 'vm1' is used by 2", all);
        Assert.Contains("not in", all);          // h2 is not on r's subnet
        Assert.Contains("gateway 192.0.2.99", all);
    }

    private const string Minimal = """
        <lab name="m">
          <host name="h1">
            <interface name="eth0" subnet="s" address="192.0.2.1/24" MTU_H1/>
            <vm name="vm1" mac="02:00:00:00:00:01" VM_EXTRA/>
          </host>
          <host name="h2">
            <interface name="eth0" subnet="s" address="192.0.2.2/24"/>
          </host>
          <network>
            <link id="l1" LINK_EXTRA><end vm="vm1"/><end vm="vm1"/></link>
          </network>
        </lab>
        """;

    private static string Lab(string mtu = "", string vm = "", string link = "") =>
        Minimal.Replace("MTU_H1", mtu).Replace("VM_EXTRA", vm).Replace("LINK_EXTRA", link);

    [Fact]
    public void An_unknown_attribute_is_refused_with_its_line()
    {
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(Lab(vm: "cpus=\"2\""), "lab.xml"));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(4, problem.Line);
        Assert.Contains("cpus", problem.Message);
    }

    [Fact]
    public void An_unknown_attribute_inside_the_network_is_refused_with_its_line()
    {
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(Lab(link: "colour=\"red\""), "lab.xml"));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(10, problem.Line);
        Assert.Contains("colour", problem.Message);
    }

    [Fact]
    public void An_unknown_element_in_a_host_is_refused_with_its_line()
    {
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(Lab().Replace("<host name=\"h2\">", "<host name=\"h2\"><disk size=\"1G\"/>"), "lab.xml"));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(6, problem.Line);
        Assert.Contains("disk", problem.Message);
    }

    [Fact]
    public void An_interface_mtu_is_read_and_checked()
    {
        var lab = LabFile.Parse(Lab(mtu: "mtu=\"9000\""), "lab.xml");
        Assert.Equal(9000, lab.Hosts[0].Interfaces[0].Mtu);
        Assert.Null(lab.Hosts[1].Interfaces[0].Mtu);
        var e = Assert.Throws<NetworkFileException>(() => LabFile.Parse(Lab(mtu: "mtu=\"jumbo\""), "lab.xml"));
        Assert.Contains(e.Problems, p => p.Line == 3 && p.Message.Contains("mtu 'jumbo'"));
    }
}
