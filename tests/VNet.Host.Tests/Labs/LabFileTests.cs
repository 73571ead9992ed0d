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
}
