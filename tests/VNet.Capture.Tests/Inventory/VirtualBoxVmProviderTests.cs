using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Capture.Tests.Inventory;

public class VirtualBoxVmProviderTests
{
    private const string Dir = "vboxmanage/";

    private static MacAddress Mac(string text) => MacAddress.Parse(text);

    private static VBoxVmInfo ShowVmInfo(string sample) =>
        VBoxManageOutput.ParseShowVmInfo(TestData.Read($"{Dir}vboxmanage-showvminfo-machinereadable-{sample}.txt"));

    [Fact]
    public void Running_vm_list_keeps_names_with_spaces()
    {
        Assert.Equal(
            [
                new VBoxListedVm("Attacker", "8451900b-320a-43b4-9eb9-9bd6656f33ad"),
                new VBoxListedVm("Client", "4d0986c7-eabc-4cd3-a2f3-e28111a66ac1"),
                new VBoxListedVm("Company Router", "d75d3108-266b-420e-aa74-bc73f689ee9c"),
            ],
            VBoxManageOutput.ParseVmList(TestData.Read(Dir + "vboxmanage-list-runningvms-1.txt")).ToArray());
        Assert.Equal(
            [new VBoxListedVm("Sailfish OS Build Engine", "a57366fb-5e54-4588-8b49-3135dfea51f1")],
            VBoxManageOutput.ParseVmList(TestData.Read(Dir + "vboxmanage-list-runningvms-2.txt")).ToArray());
    }

    [Fact]
    public void Vm_list_without_trailing_newline_keeps_its_last_line()
    {
        Assert.Equal(
            [
                new VBoxListedVm("Ubuntu", "2e16b1fc-675d-4a7a-a9a1-e89a8bde7874"),
                new VBoxListedVm("go-virtualbox", "def44546-e3da-4902-8d15-b91c99c80cbc"),
            ],
            VBoxManageOutput.ParseVmList(TestData.Read(Dir + "vboxmanage-list-vms-1.txt")).ToArray());
    }

    [Fact]
    public void Vm_list_ignores_lines_that_are_not_vms_and_keeps_quotes_inside_names()
    {
        const string text = "WARNING: something odd\n\"say \"hi\" vm\" {0b1c2d3e-0000-4000-8000-000000000001}\n";
        Assert.Equal([new VBoxListedVm("say \"hi\" vm", "0b1c2d3e-0000-4000-8000-000000000001")], VBoxManageOutput.ParseVmList(text).ToArray());
    }

    [Fact]
    public void Bridged_nic_of_v3_1_uses_the_adapter_name_before_the_colon()
    {
        var vm = ShowVmInfo("v3.1-bridged");
        Assert.Equal("foo", vm.Name);
        Assert.Equal("8710d3db-d96a-46ed-9004-59fa891fda90", vm.Uuid);
        Assert.Equal("poweroff", vm.State);
        // Old key order: bridgeadapter1 and macaddress1 come before nic1.
        Assert.Equal([new VBoxNic(1, "bridged", Mac("08:00:27:71:f2:57"), "en1: AirPort", "en1")], vm.Nics.ToArray());
        Assert.Equal([new VmNic(Mac("08:00:27:71:f2:57"), "en1")], VirtualBoxVmProvider.LinkableNics(vm).ToArray());
    }

    [Fact]
    public void Intnet_nics_have_no_host_interface_and_hostonly_uses_its_adapter()
    {
        var vm = ShowVmInfo("v5.0-5.1-intnet-hostonly");
        Assert.Equal("Company Router", vm.Name);
        Assert.Equal(
            [
                new VBoxNic(1, "intnet", Mac("08:00:27:ca:0e:5d"), "Internet", null),
                new VBoxNic(2, "intnet", Mac("08:00:27:91:04:ed"), "DMZ", null),
                new VBoxNic(3, "intnet", Mac("08:00:27:85:94:05"), "Internal", null),
                new VBoxNic(4, "hostonly", Mac("08:00:27:d9:8e:94"), "vboxnet0", "vboxnet0"),
            ],
            vm.Nics.ToArray());
        Assert.Equal([new VmNic(Mac("08:00:27:d9:8e:94"), "vboxnet0")], VirtualBoxVmProvider.LinkableNics(vm).ToArray());
    }

    [Fact]
    public void Nat_nic_is_parsed_but_not_linkable_and_unquoted_values_are_kept()
    {
        var values = VBoxManageOutput.ParseMachineReadable(TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v5.0-5.1-nat.txt"));
        Assert.Equal("1024", values["memory"]);
        Assert.Equal("<not set>", values["vrdeproperty[VideoChannel/Enabled]"]);
        Assert.Equal("ssh,tcp,127.0.0.1,2222,,22", values["Forwarding(0)"]);
        Assert.Equal("/Users/user/VirtualBox VMs/go-virtualbox/ubuntu-16.04-amd64-disk001.vmdk", values["SATA Controller-0-0"]);

        var vm = VBoxManageOutput.FromValues(values);
        Assert.Equal("saved", vm.State);
        Assert.Equal([new VBoxNic(1, "nat", Mac("08:00:27:ee:1d:f7"), "nat", null)], vm.Nics.ToArray());
        Assert.Empty(VirtualBoxVmProvider.LinkableNics(vm));
    }

    [Fact]
    public void Doubled_backslashes_are_undone_and_single_ones_kept()
    {
        var values = VBoxManageOutput.ParseMachineReadable(TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v5.2-nat-intnet.txt"));
        Assert.Equal(@"C:\SailfishOS\mersdk\Sailfish OS Build Engine\Sailfish OS Build Engine.vbox", values["CfgFile"]);
        Assert.Equal(@"C:\SailfishOS\mersdk\mer.vdi", values["SATA-1-0"]);
        Assert.Equal("1024x768", values["videocapres"]);

        var vm = VBoxManageOutput.FromValues(values);
        Assert.Equal("Sailfish OS Build Engine", vm.Name);
        Assert.Equal(
            [
                new VBoxNic(1, "nat", Mac("08:00:27:f2:10:01"), "nat", null),
                new VBoxNic(2, "intnet", Mac("08:00:5a:11:f1:55"), "SailfishOS-SDK", null),
            ],
            vm.Nics.ToArray());
    }

    [Fact]
    public void Multi_line_description_and_lines_without_equals_do_not_leak_keys()
    {
        var values = VBoxManageOutput.ParseMachineReadable(TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v7.0-nat.txt"));
        Assert.Equal("name1=value1\nname2=value2", values["description"]);
        Assert.False(values.ContainsKey("name2"));
        Assert.DoesNotContain(values.Keys, k => k.Contains("Encryption") || k.Contains("rec_screen0"));
        Assert.Equal("0", values["GuestMemoryBalloon"]);
        Assert.Equal("/home/user/VirtualBox VMs/manjaro-gnome-x64-full-clean/manjaro-gnome-x64-full-clean.nvram", values["BIOS NVRAM File"]);

        var vm = VBoxManageOutput.FromValues(values);
        Assert.Equal("manjaro-gnome-x64-full-clean", vm.Name);
        Assert.Equal([new VBoxNic(1, "nat", Mac("08:00:27:44:d7:f6"), "nat", null)], vm.Nics.ToArray());
    }

    [Fact]
    public void Hostonlynetwork_nic_of_v7_has_no_host_interface()
    {
        var vm = ShowVmInfo("v7.0-fragment-nat-hostonlynetwork");
        Assert.Null(vm.Name);
        Assert.Null(vm.State);
        Assert.Equal(
            [
                new VBoxNic(1, "nat", Mac("08:00:27:bb:14:75"), "nat", null),
                new VBoxNic(2, "hostonlynetwork", Mac("08:00:27:fb:c1:5b"), "vagrantnet-vbox1", null),
            ],
            vm.Nics.ToArray());
    }

    [Theory]
    [InlineData("bridged", "eth0", "eth0")]
    [InlineData("bridged", "en1: AirPort", "en1")]
    [InlineData("bridged", "Intel(R) Ethernet Connection I217-V", "Intel(R) Ethernet Connection I217-V")]
    [InlineData("hostonly", "vboxnet1", "vboxnet1")]
    [InlineData("natnetwork", "NatNetwork", null)]
    [InlineData("bridged", "", null)]
    public void Host_interface_by_attachment_kind(string kind, string attachedTo, string? hostInterface)
    {
        Assert.Equal(hostInterface, VBoxManageOutput.HostInterface(kind, attachedTo));
    }

    [Theory]
    [InlineData("080027CA0E5D", "08:00:27:ca:0e:5d")]
    [InlineData("08005a11f155", "08:00:5a:11:f1:55")]
    public void Vbox_macs_without_separators_are_normalised(string text, string mac)
    {
        Assert.Equal(Mac(mac), VBoxManageOutput.ParseMac(text));
    }

    [Theory]
    [InlineData("08:00:27:CA:0E:5D")]
    [InlineData("080027CA0E5")]
    [InlineData("08002GCA0E5D")]
    [InlineData(null)]
    public void Malformed_vbox_macs_give_null(string? text)
    {
        Assert.Null(VBoxManageOutput.ParseMac(text));
    }

    [Fact]
    public void Provider_lists_running_vms_with_linkable_nics_and_their_state()
    {
        var runner = new RecordedRunner()
            .Answer("VBoxManage list runningvms", TestData.Read(Dir + "vboxmanage-list-runningvms-1.txt"))
            .Answer("VBoxManage showvminfo 8451900b-320a-43b4-9eb9-9bd6656f33ad --machinereadable", TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v3.1-bridged.txt"))
            .Answer("VBoxManage showvminfo 4d0986c7-eabc-4cd3-a2f3-e28111a66ac1 --machinereadable", TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v7.0-fragment-nat-hostonlynetwork.txt"))
            .Answer("VBoxManage showvminfo d75d3108-266b-420e-aa74-bc73f689ee9c --machinereadable", TestData.Read(Dir + "vboxmanage-showvminfo-machinereadable-v5.0-5.1-intnet-hostonly.txt"));

        var vms = new VirtualBoxVmProvider(runner: runner).ListVms();

        Assert.Equal(["Attacker", "Client", "Company Router"], vms.Select(v => v.Name).ToArray());
        Assert.Equal([new VmNic(Mac("08:00:27:71:f2:57"), "en1")], vms[0].Nics.ToArray());
        Assert.Empty(vms[1].Nics);
        Assert.Equal([new VmNic(Mac("08:00:27:d9:8e:94"), "vboxnet0")], vms[2].Nics.ToArray());
        // The recorded outputs were taken from stopped VMs; the state reported is what VBoxManage says.
        Assert.Equal(["poweroff", "running", "poweroff"], vms.Select(v => v.State).ToArray());
    }

    [Fact]
    public void Missing_vboxmanage_fails_naming_virtualbox()
    {
        var error = Assert.Throws<VmProviderException>(() => new VirtualBoxVmProvider(runner: RecordedRunner.NotInstalled).ListVms());
        Assert.Equal(
            "VirtualBox VM provider: VBoxManage is not installed (VirtualBox from virtualbox.org, e.g. Oracle's Debian package virtualbox-7.0); the VirtualBox VM provider needs it",
            error.Message);
    }

    [Fact]
    public void Failing_showvminfo_quotes_its_stderr()
    {
        var runner = new RecordedRunner()
            .Answer("VBoxManage list runningvms", TestData.Read(Dir + "vboxmanage-list-runningvms-2.txt"))
            .Answer("VBoxManage showvminfo a57366fb-5e54-4588-8b49-3135dfea51f1 --machinereadable",
                new CommandResult(1, "", "VBoxManage: error: Could not find a registered machine with UUID {a57366fb-5e54-4588-8b49-3135dfea51f1}\n"));
        var error = Assert.Throws<VmProviderException>(() => new VirtualBoxVmProvider(runner: runner).ListVms());
        Assert.Equal(
            "VirtualBox VM provider: 'VBoxManage showvminfo a57366fb-5e54-4588-8b49-3135dfea51f1 --machinereadable' failed with exit code 1: " +
            "VBoxManage: error: Could not find a registered machine with UUID {a57366fb-5e54-4588-8b49-3135dfea51f1}",
            error.Message);
    }
}
