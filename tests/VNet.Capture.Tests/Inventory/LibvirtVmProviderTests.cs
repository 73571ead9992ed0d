using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Capture.Tests.Inventory;

public class LibvirtVmProviderTests
{
    private static MacAddress Mac(string text) => MacAddress.Parse(text);

    [Fact]
    public void Old_virsh_list_table_gives_id_name_and_state()
    {
        var entries = VirshOutput.ParseListTable(TestData.Read("virsh/virsh-list-1.txt"));
        Assert.Equal(
            [
                new VirshListEntry("6", "minikube", "running"),
                new VirshListEntry("7", "kube_master_1", "running"),
                new VirshListEntry("8", "kube_master_2", "running"),
                new VirshListEntry("9", "kube_worker_0", "running"),
                new VirshListEntry("10", "kube_master_0", "running"),
            ],
            entries.ToArray());
    }

    [Fact]
    public void Newer_virsh_list_table_keeps_two_word_states()
    {
        const string text = " Id   Name      State\n-------------------------\n 3    router    running\n -    spare     shut off\n\n";
        Assert.Equal(
            [new VirshListEntry("3", "router", "running"), new VirshListEntry("-", "spare", "shut off")],
            VirshOutput.ParseListTable(text).ToArray());
    }

    [Fact]
    public void Virsh_name_list_skips_the_trailing_blank_line()
    {
        Assert.Equal(["r-2825-QA", "GPUtest"], VirshOutput.ParseNameList("r-2825-QA\nGPUtest\n\n").ToArray());
    }

    [Fact]
    public void Domiflist_sample_1_gives_three_bridge_taps()
    {
        var nics = VirshOutput.ParseDomIfList(TestData.Read("virsh/virsh-domiflist-1.txt"));
        Assert.Equal(
            [
                new VirshInterface("vnet1", Mac("52:54:00:5e:28:ec"), "bridge", "br1"),
                new VirshInterface("vnet2", Mac("52:54:00:a5:fd:7d"), "bridge", "br-tun"),
                new VirshInterface("vnet3", Mac("52:54:00:9b:b3:a5"), "bridge", "br1"),
            ],
            nics.ToArray());
    }

    [Fact]
    public void Domiflist_sample_2_gives_two_bridge_taps()
    {
        var nics = VirshOutput.ParseDomIfList(TestData.Read("virsh/virsh-domiflist-2.txt"));
        Assert.Equal(
            [
                new VirshInterface("vnet4", Mac("52:54:00:d4:a5:d4"), "bridge", "br1"),
                new VirshInterface("vnet5", Mac("52:54:00:d5:1f:6a"), "bridge", "br-tun"),
            ],
            nics.ToArray());
    }

    [Fact]
    public void Newer_domiflist_with_leading_space_and_dash_interface_parses()
    {
        const string text = " Interface   Type      Source    Model    MAC\n" +
                            "-------------------------------------------------------\n" +
                            " -           network   default   virtio   52:54:00:0b:8f:2e\n\n";
        Assert.Equal([new VirshInterface(null, Mac("52:54:00:0b:8f:2e"), "network", "default")], VirshOutput.ParseDomIfList(text).ToArray());
    }

    [Fact]
    public void Dumpxml_sample_1_gives_name_and_three_bridge_interfaces_with_taps()
    {
        var domain = VirshOutput.ParseDomainXml(TestData.Read("virsh/virsh-dumpxml-1.xml"));
        Assert.Equal("r-2825-QA", domain.Name);
        Assert.Equal(
            [
                new VirshInterface("vnet22", Mac("0e:00:a9:fe:03:3c"), "bridge", "cloud0"),
                new VirshInterface("vnet23", Mac("06:a3:cc:00:32:e7"), "bridge", "brbond0-101"),
                new VirshInterface("vnet32", Mac("06:6a:b2:00:32:f3"), "bridge", "brbond0-452"),
            ],
            domain.Interfaces.ToArray());
    }

    [Fact]
    public void Dumpxml_sample_2_gives_the_network_interface_and_its_tap()
    {
        var domain = VirshOutput.ParseDomainXml(TestData.Read("virsh/virsh-dumpxml-2.xml"));
        Assert.Equal("GPUtest", domain.Name);
        Assert.Equal([new VirshInterface("vnet4", Mac("52:54:00:32:20:df"), "network", "default")], domain.Interfaces.ToArray());
    }

    [Fact]
    public void Dumpxml_that_is_not_xml_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => VirshOutput.ParseDomainXml("error: failed to get domain 'x'"));
        Assert.Throws<FormatException>(() => VirshOutput.ParseDomainXml("<network><name>default</name></network>"));
    }

    [Fact]
    public void Provider_lists_running_domains_with_their_taps_as_host_interfaces()
    {
        var runner = new RecordedRunner()
            .Answer("virsh list --name --state-running", "r-2825-QA\nGPUtest\n\n")
            .Answer("virsh dumpxml --domain r-2825-QA", TestData.Read("virsh/virsh-dumpxml-1.xml"))
            .Answer("virsh dumpxml --domain GPUtest", TestData.Read("virsh/virsh-dumpxml-2.xml"));

        var vms = new LibvirtVmProvider(runner: runner).ListVms();

        Assert.Equal(["r-2825-QA", "GPUtest"], vms.Select(v => v.Name).ToArray());
        Assert.All(vms, v => Assert.Equal("running", v.State));
        Assert.Equal(
            [
                new VmNic(Mac("0e:00:a9:fe:03:3c"), "vnet22"),
                new VmNic(Mac("06:a3:cc:00:32:e7"), "vnet23"),
                new VmNic(Mac("06:6a:b2:00:32:f3"), "vnet32"),
            ],
            vms[0].Nics.ToArray());
        Assert.Equal([new VmNic(Mac("52:54:00:32:20:df"), "vnet4")], vms[1].Nics.ToArray());
    }

    [Fact]
    public void Provider_passes_the_connection_uri_to_every_virsh_call()
    {
        var runner = new RecordedRunner()
            .Answer("virsh -c qemu:///system list --name --state-running", "GPUtest\n")
            .Answer("virsh -c qemu:///system dumpxml --domain GPUtest", TestData.Read("virsh/virsh-dumpxml-2.xml"));
        Assert.Single(new LibvirtVmProvider("qemu:///system", runner).ListVms());
        Assert.Equal(2, runner.Calls.Count);
    }

    [Fact]
    public void Nics_without_a_tap_are_left_out_but_the_domain_is_listed()
    {
        const string xml = """
            <domain type='kvm' id='4'>
              <name>usernet</name>
              <devices>
                <interface type='user'>
                  <mac address='52:54:00:12:34:56'/>
                  <model type='virtio'/>
                </interface>
              </devices>
            </domain>
            """;
        var runner = new RecordedRunner()
            .Answer("virsh list --name --state-running", "usernet\n")
            .Answer("virsh dumpxml --domain usernet", xml);
        var vm = Assert.Single(new LibvirtVmProvider(runner: runner).ListVms());
        Assert.Equal("usernet", vm.Name);
        Assert.Empty(vm.Nics);
    }

    [Fact]
    public void Missing_virsh_fails_naming_libvirt_clients()
    {
        var error = Assert.Throws<VmProviderException>(() => new LibvirtVmProvider(runner: RecordedRunner.NotInstalled).ListVms());
        Assert.Equal("libvirt VM provider: virsh is not installed (Debian package libvirt-clients); the libvirt VM provider needs it", error.Message);
    }

    [Fact]
    public void Failing_virsh_quotes_its_stderr()
    {
        var runner = RecordedRunner.Failing(1, "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n");
        var error = Assert.Throws<VmProviderException>(() => new LibvirtVmProvider(runner: runner).ListVms());
        Assert.StartsWith("libvirt VM provider: 'virsh list --name --state-running' failed with exit code 1: error: failed to connect to the hypervisor", error.Message);
        Assert.Contains("libvirt-sock': No such file or directory", error.Message);
    }
}
