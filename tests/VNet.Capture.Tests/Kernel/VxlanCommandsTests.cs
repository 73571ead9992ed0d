using VNet.Capture.Forwarding;
using VNet.Capture.Inventory;
using VNet.Capture.Kernel;
using VNet.Messages;

namespace VNet.Capture.Tests.Kernel;

public sealed class VxlanCommandsTests
{
    private static readonly VxlanEnd End = new("k1", 8123, "192.0.2.11", "192.0.2.12", "vm1", 1450);

    private static string[] Lines(IEnumerable<KernelCommand> commands) => commands.Select(c => c.ToString()).ToArray();

    [Fact]
    public void Create_makes_the_device_quiet_and_down_first_redirects_both_ways_then_brings_it_up()
    {
        var dev = End.Device;
        Assert.Equal(
        [
            $"ip link add name {dev} mtu 1450 type vxlan id 8123 remote 192.0.2.12 local 192.0.2.11 dstport 4789 nolearning tos 0xb8",
            $"ip link set dev {dev} addrgenmode none alias vnet kernel link k1 port vm1",
            $"tc qdisc add dev {dev} handle ffff: ingress",
            $"tc filter add dev {dev} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev vm1",
            "tc qdisc add dev vm1 handle ffff: ingress",
            $"tc filter add dev vm1 parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev {dev}",
            $"ip link set dev {dev} up",
        ], Lines(VxlanCommands.Create(End, LinkOptions.Default with { Dscp = 46 })));
    }

    [Fact]
    public void A_vm_port_made_anew_gets_both_redirects_again_since_the_old_one_pointed_at_the_deleted_port()
    {
        var dev = End.Device;
        Assert.Equal(
        [
            $"tc qdisc del dev {dev} handle ffff: ingress",
            $"tc qdisc add dev {dev} handle ffff: ingress",
            $"tc filter add dev {dev} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev vm1",
            "tc qdisc add dev vm1 handle ffff: ingress",
            $"tc filter add dev vm1 parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev {dev}",
        ], Lines(VxlanCommands.Rejoin(End)));
    }

    [Fact]
    public void A_shaped_link_gets_a_tbf_with_a_burst_of_four_milliseconds_and_at_least_two_frames()
    {
        var shaped = Lines(VxlanCommands.Create(End, LinkOptions.Default with { BandwidthBitsPerSecond = 40_000_000 }));
        Assert.Equal($"tc qdisc replace dev {End.Device} root tbf rate 40000000bit burst 20000 latency 50ms", shaped[^1]);
        var slow = VxlanCommands.Shaper(End.Device, LinkOptions.Default with { BandwidthBitsPerSecond = 1_000_000 }, 1450)!;
        Assert.Contains("burst 2928", slow.ToString()); // 2 × (1450 + 14)
        var given = VxlanCommands.Shaper(End.Device, LinkOptions.Default with { BandwidthBitsPerSecond = 1_000_000, BurstBytes = 65536 }, 1450)!;
        Assert.Contains("burst 65536", given.ToString());
    }

    [Fact]
    public void A_change_touches_only_what_changed_and_unshaping_removes_the_tbf()
    {
        var shaped = LinkOptions.Default with { BandwidthBitsPerSecond = 20_000_000 };
        Assert.Empty(VxlanCommands.Change(End, shaped, shaped));
        Assert.Equal([$"ip link set dev {End.Device} type vxlan tos 0x28"], Lines(VxlanCommands.Change(End, shaped, shaped with { Dscp = 10 })));
        Assert.Equal([$"tc qdisc replace dev {End.Device} root tbf rate 60000000bit burst 30000 latency 50ms"],
            Lines(VxlanCommands.Change(End, shaped, shaped with { BandwidthBitsPerSecond = 60_000_000 })));
        Assert.Equal([$"tc qdisc del dev {End.Device} root"], Lines(VxlanCommands.Change(End, shaped, LinkOptions.Default)));
        Assert.Empty(VxlanCommands.Change(End, LinkOptions.Default, LinkOptions.Default with { BurstBytes = 0 }));
    }

    [Theory]
    [InlineData("k1")]
    [InlineData("a-very-long-link-id-of-32-chars-x")]
    [InlineData("...")]
    public void Device_names_fit_the_kernel_limit_and_are_stable(string id)
    {
        var name = VxlanCommands.DeviceName(id);
        Assert.InRange(name.Length, 3, 15);
        Assert.StartsWith("vk", name);
        Assert.All(name, c => Assert.True(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)));
        Assert.Equal(name, VxlanCommands.DeviceName(id));
    }

    [Fact]
    public void Ids_that_differ_only_past_the_cut_or_in_punctuation_get_different_names()
    {
        Assert.NotEqual(VxlanCommands.DeviceName("link-number-1"), VxlanCommands.DeviceName("link-number-2"));
        Assert.NotEqual(VxlanCommands.DeviceName("a.b"), VxlanCommands.DeviceName("a-b"));
    }

    [Fact]
    public void Leftovers_are_found_by_their_alias_and_other_vxlan_devices_are_left_alone()
    {
        const string json = """
            [{"ifindex":4,"ifname":"vkk180c1","ifalias":"vnet kernel link k1 port vm1"},
             {"ifindex":5,"ifname":"vxlan42"},
             {"ifindex":6,"ifname":"mine","ifalias":"someone else's"}]
            """;
        Assert.Equal([("vkk180c1", "vm1")], VxlanLink.StaleDevices(json));
        Assert.Empty(VxlanLink.StaleDevices(""));
        Assert.Equal("vm1", VxlanCommands.VmPortOf(VxlanCommands.Alias(End)));
        Assert.Null(VxlanCommands.VmPortOf("vxlan by hand"));
    }

    [Fact]
    public void A_failed_start_removes_what_it_made_and_names_the_failed_command()
    {
        var ran = new List<string>();
        var runner = new DelegateCommandRunner((tool, args) =>
        {
            var line = $"{tool} {string.Join(' ', args)}";
            ran.Add(line);
            return line.StartsWith("tc filter add dev vm1", StringComparison.Ordinal)
                ? new CommandResult(2, "", "Error: Specified qdisc kind is unknown.")
                : new CommandResult(0, "", "");
        });
        using var link = new VxlanLink(End, LinkOptions.Default, runner, sysClassNet: "/nonexistent");
        var e = Assert.Throws<ExternalToolException>(() => link.Start());
        Assert.Contains("tc filter add dev vm1", e.Message);
        Assert.Contains("Specified qdisc kind is unknown", e.Message);
        Assert.Equal($"tc qdisc del dev vm1 handle ffff: ingress", ran[^2]);
        Assert.Equal($"ip link del dev {End.Device}", ran[^1]);
    }

    [Fact]
    public async Task A_new_end_of_the_same_link_creates_its_device_only_after_the_old_end_removed_it()
    {
        var end = End with { LinkId = "handover", VmPort = "vnettest-none" };
        var ran = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var runner = new DelegateCommandRunner((tool, args) =>
        {
            ran.Enqueue($"{tool} {string.Join(' ', args)}");
            return new CommandResult(0, "", "");
        });
        var old = new VxlanLink(end, LinkOptions.Default, runner, sysClassNet: "/nonexistent");
        old.Start();
        using var fresh = new VxlanLink(end, LinkOptions.Default, runner, sysClassNet: "/nonexistent");
        var starting = Task.Run(() => fresh.Start());
        await Task.Delay(300);
        Assert.False(starting.IsCompleted, "the new end started while the old end still held the device");

        old.Dispose();
        await starting.WaitAsync(TimeSpan.FromSeconds(5));
        var lines = ran.ToList();
        var removed = lines.FindIndex(l => l == $"ip link del dev {end.Device}");
        var createdAgain = lines.FindLastIndex(l => l.StartsWith($"ip link add name {end.Device} ", StringComparison.Ordinal));
        Assert.True(removed >= 0 && removed < createdAgain, string.Join(Environment.NewLine, lines));
    }

    [Fact]
    public void Counters_are_read_from_the_device_statistics()
    {
        var sys = Directory.CreateTempSubdirectory("vnet-sys-");
        try
        {
            var stats = Directory.CreateDirectory(Path.Combine(sys.FullName, End.Device, "statistics"));
            foreach (var (name, value) in new[] { ("tx_packets", 10), ("tx_bytes", 1000), ("tx_dropped", 1), ("tx_errors", 1), ("rx_packets", 7), ("rx_bytes", 700), ("rx_dropped", 0), ("rx_errors", 0) })
                File.WriteAllText(Path.Combine(stats.FullName, name), $"{value}\n");
            var counters = new LinkCounters();
            new VxlanLink(End, LinkOptions.Default, new DelegateCommandRunner((_, _) => new CommandResult(0, "", "")), sys.FullName).Sample(counters);
            var out_ = counters.ToSubstrate.Snapshot();
            Assert.Equal((10, 1000, 1080), (out_.Frames, out_.Bytes, out_.WireBytes));
            Assert.Equal(2, out_.Drops["send-error"]);
            Assert.Equal((7L, 700L), (counters.ToVm.Snapshot().Frames, counters.ToVm.Snapshot().Bytes));
        }
        finally
        {
            sys.Delete(recursive: true);
        }
    }
}
