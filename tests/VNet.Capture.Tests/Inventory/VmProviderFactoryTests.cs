using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Capture.Tests.Inventory;

public class VmProviderFactoryTests
{
    [Fact]
    public void Each_configured_name_gives_its_provider()
    {
        var settings = new VmProviderSettings { HostName = "host1", NetnsPrefix = "lab-", LibvirtUri = "qemu:///system" };
        Assert.IsType<StaticVmProvider>(VmProviderFactory.Create("static", settings));
        var netns = Assert.IsType<NetnsVmProvider>(VmProviderFactory.Create("netns", settings));
        Assert.Equal(("lab-", "host1"), (netns.NamespacePrefix, netns.HostName));
        var libvirt = Assert.IsType<LibvirtVmProvider>(VmProviderFactory.Create("libvirt", settings));
        Assert.Equal("qemu:///system", libvirt.ConnectUri);
        Assert.IsType<VirtualBoxVmProvider>(VmProviderFactory.Create("virtualbox", settings));
    }

    [Fact]
    public void Provider_names_match_the_configuration_names()
    {
        var settings = new VmProviderSettings { NetnsPrefix = "lab-" };
        Assert.Equal(VmProviderFactory.Names.ToArray(), VmProviderFactory.Names.Select(n => VmProviderFactory.Create(n, settings).Name).ToArray());
        Assert.Equal("libvirt", VmProviderFactory.Create(" LibVirt ", settings).Name);
    }

    [Fact]
    public void Static_provider_offers_the_configured_vms()
    {
        var vm = new VmInfo("vm1", [new VmNic(MacAddress.Parse("02:00:00:00:00:01"), "tap0")], "running");
        var provider = VmProviderFactory.Create("static", new VmProviderSettings { StaticVms = [vm] });
        Assert.Equal([vm], provider.ListVms().ToArray());
        Assert.Empty(VmProviderFactory.Create("static", new VmProviderSettings { StaticVms = default }).ListVms());
    }

    [Fact]
    public void Unknown_name_lists_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => VmProviderFactory.Create("vmware", new VmProviderSettings()));
        Assert.Equal("name", error.ParamName);
        Assert.StartsWith("unknown VM provider 'vmware'; valid names are: static, netns, libvirt, virtualbox", error.Message);
    }

    [Fact]
    public void Netns_provider_needs_a_prefix()
    {
        var error = Assert.Throws<ArgumentException>(() => VmProviderFactory.Create("netns", new VmProviderSettings { HostName = "h" }));
        Assert.Contains("namespace prefix", error.Message);
    }

    [Fact]
    public void Factory_passes_the_runner_to_the_provider()
    {
        var settings = new VmProviderSettings { Runner = RecordedRunner.NotInstalled, VBoxManageCommand = "/opt/vbox/VBoxManage" };
        var error = Assert.Throws<VmProviderException>(() => VmProviderFactory.Create("virtualbox", settings).ListVms());
        Assert.Contains("/opt/vbox/VBoxManage is not installed", error.Message);
    }
}
