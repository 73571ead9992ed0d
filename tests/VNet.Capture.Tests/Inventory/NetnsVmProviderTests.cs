using System.Security.Cryptography;
using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Capture.Tests.Inventory;

public class NetnsVmProviderTests
{
    private static string LinkJson(params (string Name, string Mac)[] links) =>
        "[" + string.Join(',', links.Select((l, i) =>
            $$"""{"ifindex":{{i + 1}},"ifname":"{{l.Name}}","flags":["BROADCAST"],"mtu":1500,"link_type":"ether","address":"{{l.Mac}}"}""")) + "]";

    [Fact]
    public void Namespace_list_gives_names_with_or_without_ids()
    {
        Assert.Equal(["labvm2", "labvm1", "other"], NetnsVmProvider.ParseNamespaceList("labvm2 (id: 1)\nlabvm1\nother (id: 0)\n\n").ToArray());
        Assert.Empty(NetnsVmProvider.ParseNamespaceList(""));
    }

    [Theory]
    [InlineData("vm1", "vm1")]
    [InlineData("exactly15chars_", "exactly15chars_")]
    [InlineData("a-very-long-vm-name", "a-very-long-vm-")]
    public void Host_interface_is_the_vm_name_cut_to_15_characters(string vm, string hostInterface)
    {
        Assert.Equal(hostInterface, NetnsVmProvider.HostInterfaceFor(vm));
    }

    [Fact]
    public void Only_vms_whose_host_side_interface_is_here_are_offered()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "lab-vm2 (id: 1)\nlab-vm1 (id: 0)\nlab-elsewhere\nrouter1\nlab-\n")
            .Answer("ip -j link show", LinkJson(("eth0", "02:fc:00:00:00:01"), ("vm1", "aa:00:00:00:00:01"), ("vm2", "aa:00:00:00:00:02")))
            .Answer("ip -n lab-vm1 -j link show", LinkJson(("lo", "00:00:00:00:00:00"), ("eth0", "02:00:00:00:00:01")))
            .Answer("ip -n lab-vm2 -j link show", LinkJson(("lo", "00:00:00:00:00:00"), ("eth0", "02:00:00:00:00:02")));
        var provider = new NetnsVmProvider("lab-", "host1", runner);

        var vms = provider.ListVms();

        Assert.Equal(2, vms.Length);
        Assert.Equal("vm1", vms[0].Name);
        Assert.Equal("running", vms[0].State);
        Assert.Equal([new VmNic(MacAddress.Parse("02:00:00:00:00:01"), "vm1")], vms[0].Nics.ToArray());
        Assert.Equal([new VmNic(MacAddress.Parse("02:00:00:00:00:02"), "vm2")], vms[1].Nics.ToArray());
        // lab-elsewhere's host side is on another host: its namespace is not even entered.
        Assert.DoesNotContain(runner.Calls, c => c.Contains("lab-elsewhere"));
    }

    private static string LinkJson(string flag, params (int Index, string Name, string Mac)[] links) =>
        "[" + string.Join(',', links.Select(l =>
            $$"""{"ifindex":{{l.Index}},"ifname":"{{l.Name}}","flags":["BROADCAST","{{flag}}"],"mtu":1500,"link_type":"ether","address":"{{l.Mac}}"}""")) + "]";

    [Fact]
    public void A_vm_s_mac_is_read_once_per_host_side_interface_and_again_when_it_was_wired_anew()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "lab-vm1\n")
            .Answer("ip -j link show", LinkJson("UP", (7, "vm1", "aa:00:00:00:00:01")))
            .Answer("ip -n lab-vm1 -j link show", LinkJson("UP", (2, "eth0", "02:00:00:00:00:01")));
        var provider = new NetnsVmProvider("lab-", "host1", runner);

        provider.ListVms();
        provider.ListVms();
        Assert.Single(runner.Calls, c => c.StartsWith("ip -n lab-vm1", StringComparison.Ordinal));

        // Wired again (a new veth, a new ifindex) with another MAC: read afresh.
        runner.Answer("ip -j link show", LinkJson("UP", (9, "vm1", "aa:00:00:00:00:01")))
              .Answer("ip -n lab-vm1 -j link show", LinkJson("UP", (2, "eth0", "02:00:00:00:00:09")));
        var vm = Assert.Single(provider.ListVms());
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:09"), vm.Nics[0].Mac);
    }

    [Fact]
    public void A_nic_not_up_yet_is_offered_but_read_again_next_time()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "lab-vm1\n")
            .Answer("ip -j link show", LinkJson("UP", (7, "vm1", "aa:00:00:00:00:01")))
            .Answer("ip -n lab-vm1 -j link show", LinkJson("NOARP", (2, "eth0", "02:00:00:00:00:01")));
        var provider = new NetnsVmProvider("lab-", "host1", runner);

        provider.ListVms();
        provider.ListVms();

        Assert.Equal(2, runner.Calls.Count(c => c.StartsWith("ip -n lab-vm1", StringComparison.Ordinal)));
    }

    [Fact]
    public void Long_vm_names_are_matched_by_their_truncated_host_interface()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "vm-a-very-long-vm-name\n")
            .Answer("ip -j link show", LinkJson(("a-very-long-vm-", "aa:00:00:00:00:01")))
            .Answer("ip -n vm-a-very-long-vm-name -j link show", TestData.Read("kernel/ip-link-show-vm.json"));

        var vm = Assert.Single(new NetnsVmProvider("vm-", "host1", runner).ListVms());

        Assert.Equal("a-very-long-vm-name", vm.Name);
        Assert.Equal([new VmNic(MacAddress.Parse("02:00:00:aa:bb:01"), "a-very-long-vm-")], vm.Nics.ToArray());
    }

    [Fact]
    public void Vm_namespace_without_eth0_is_left_out()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "lab-vm1\n")
            .Answer("ip -j link show", LinkJson(("vm1", "aa:00:00:00:00:01")))
            .Answer("ip -n lab-vm1 -j link show", LinkJson(("lo", "00:00:00:00:00:00")));
        Assert.Empty(new NetnsVmProvider("lab-", "host1", runner).ListVms());
    }

    [Fact]
    public void Missing_ip_tool_fails_naming_iproute2()
    {
        var error = Assert.Throws<VmProviderException>(() => new NetnsVmProvider("lab-", "host1", RecordedRunner.NotInstalled).ListVms());
        Assert.Equal("netns VM provider on host1: ip is not installed (Debian package iproute2); the netns VM provider needs it", error.Message);
    }

    [Fact]
    public void Failing_ip_command_quotes_its_stderr()
    {
        var runner = new RecordedRunner()
            .Answer("ip netns list", "lab-vm1\n")
            .Answer("ip -j link show", LinkJson(("vm1", "aa:00:00:00:00:01")))
            .Answer("ip -n lab-vm1 -j link show", new CommandResult(255, "", "Cannot open network namespace \"lab-vm1\": Operation not permitted\n"));
        var error = Assert.Throws<VmProviderException>(() => new NetnsVmProvider("lab-", "host1", runner).ListVms());
        Assert.Equal("netns VM provider on host1: 'ip -n lab-vm1 -j link show' failed with exit code 255: Cannot open network namespace \"lab-vm1\": Operation not permitted", error.Message);
    }

    [Fact]
    public void Real_namespace_vm_is_found_with_its_mac_and_host_side_veth()
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        var prefix = $"vtinv{tag}";
        var vm = $"ti{tag}";               // host-side veth: exactly the VM name
        var foreignVm = $"ti{tag}x";       // a VM of "another host": its peer is not in this namespace
        var vmNs = prefix + vm;
        var foreignNs = prefix + foreignVm;
        var sh = ProcessCommandRunner.Default;
        var ip = ExternalTool.Ip("this test");
        try
        {
            ip.Run(sh, "netns", "add", vmNs);
            ip.Run(sh, "link", "add", vm, "type", "veth", "peer", "name", "eth0", "netns", vmNs);
            ip.Run(sh, "-n", vmNs, "link", "set", "eth0", "address", "02:00:00:7e:57:01");
            ip.Run(sh, "netns", "add", foreignNs);
            ip.Run(sh, "-n", foreignNs, "link", "add", "eth0", "type", "veth", "peer", "name", foreignVm);

            var vms = new NetnsVmProvider(prefix, "test-host").ListVms();

            var found = Assert.Single(vms);
            Assert.Equal(vm, found.Name);
            Assert.Equal("running", found.State);
            Assert.Equal([new VmNic(MacAddress.Parse("02:00:00:7e:57:01"), vm)], found.Nics.ToArray());
        }
        finally
        {
            // Deleting a namespace destroys the veth pairs with an end inside it; the link delete covers a half-made setup.
            sh.Run("ip", ["netns", "del", vmNs]);
            sh.Run("ip", ["netns", "del", foreignNs]);
            sh.Run("ip", ["link", "del", vm]);
        }
        Assert.DoesNotContain(vmNs, NetnsVmProvider.ParseNamespaceList(ip.Run(sh, "netns", "list")));
        Assert.DoesNotContain(IpJson.ParseLinks(ip.Run(sh, "-j", "link", "show")), l => l.Name == vm);
    }
}
