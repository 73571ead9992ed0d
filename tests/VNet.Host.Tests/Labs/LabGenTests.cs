using VNet.Client;
using VNet.Host.Labs;
using VNet.Messages;

namespace VNet.Host.Tests.Labs;

/// <summary>Generated lab files: valid lab files whose links join VMs of different hosts, each VM on one link.</summary>
public sealed class LabGenTests
{
    private static LabDefinition Generated(LabGenOptions options) => LabFile.Parse(LabGen.Generate(options), "generated.xml");

    private static void EveryVmOnOneLinkAcrossHosts(LabDefinition lab)
    {
        var hostOf = lab.Vms.ToDictionary(v => v.Name, v => v.Host);
        var ends = lab.Network.Links.SelectMany(l => l.Vms).ToList();
        Assert.Equal(ends.Count, ends.Distinct().Count());
        Assert.All(lab.Network.Links, l => Assert.NotEqual(hostOf[l.Vms[0]], hostOf[l.Vms[1]]));
    }

    [Fact]
    public void Mesh_of_8_hosts_and_200_links_spreads_the_links_evenly()
    {
        var lab = Generated(new LabGenOptions(8, 50, 200));

        Assert.Equal(8, lab.Hosts.Length);
        Assert.Equal(400, lab.Vms.Count());
        Assert.Equal(200, lab.Network.Links.Length);
        EveryVmOnOneLinkAcrossHosts(lab);
        var hostOf = lab.Vms.ToDictionary(v => v.Name, v => v.Host);
        var perHost = lab.Network.Links.SelectMany(l => l.Vms).GroupBy(v => hostOf[v]).Select(g => g.Count()).ToList();
        Assert.All(perHost, n => Assert.Equal(50, n));
        // Each link is a /30 of its own: its two VMs are .1 and .2 of it.
        var first = lab.Network.Links[0];
        Assert.Equal(["10.192.0.1", "10.192.0.2"], first.Vms.Select(v => lab.Vms.Single(x => x.Name == v).Address!.ToString()));
    }

    [Fact]
    public void Star_puts_every_link_on_the_first_host()
    {
        var lab = Generated(new LabGenOptions(3, 1, 150) { Layout = LabLayout.Star });

        Assert.Equal(150, lab.Network.Links.Length);
        Assert.All(lab.Network.Links, l => Assert.StartsWith("h1v", l.Vms[0]));
        Assert.Equal(75, lab.Network.Links.Count(l => l.Vms[1].StartsWith("h2v", StringComparison.Ordinal)));
        Assert.Equal(75, lab.Network.Links.Count(l => l.Vms[1].StartsWith("h3v", StringComparison.Ordinal)));
        EveryVmOnOneLinkAcrossHosts(lab);
    }

    [Fact]
    public void Without_links_every_vm_is_paired()
    {
        var lab = Generated(new LabGenOptions(5, 4) { Kind = LinkKind.UdpP2P });

        Assert.Equal(10, lab.Network.Links.Length);
        Assert.All(lab.Network.Links, l => Assert.Equal(LinkKind.UdpP2P, l.Kind));
        EveryVmOnOneLinkAcrossHosts(lab);
    }

    [Fact]
    public void The_same_options_give_the_same_file()
    {
        Assert.Equal(LabGen.Generate(new LabGenOptions(4, 3, 5)), LabGen.Generate(new LabGenOptions(4, 3, 5)));
    }

    [Theory]
    [InlineData(new[] { "--hosts", "8", "--vms-per-host", "50", "--links", "300" }, "at most 200 links")]
    [InlineData(new[] { "--hosts", "1", "--vms-per-host", "5" }, "--hosts 1 is out of range")]
    [InlineData(new[] { "--hosts", "3", "--vms-per-host", "x" }, "'x'")]
    [InlineData(new[] { "--hosts", "3", "--vms-per-host", "2", "--kind", "raw-multipoint" }, "raw-multipoint")]
    [InlineData(new[] { "--hosts", "3", "--vms-per-host", "2", "--layout", "ring" }, "ring")]
    [InlineData(new[] { "--vms-per-host", "2" }, "--hosts")]
    public async Task Bad_switches_are_a_usage_error_naming_the_problem(string[] args, string expected)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await VNet.Host.Cli.InvokeAsync(VNet.Host.Cli.Root(output, error), ["lab", "gen", .. args], output, error);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(expected, error.ToString());
    }
}
