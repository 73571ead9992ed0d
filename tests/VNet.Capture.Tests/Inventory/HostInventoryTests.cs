using System.Net;
using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Capture.Tests.Inventory;

public class HostInventoryTests
{
    // /proc/net/route of the machine these tests were written on (trailing blanks as the kernel pads them).
    private const string RouteOfThisMachine =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n" +
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               \n" +
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               \n";

    [Fact]
    public void Route_addresses_are_little_endian_hex()
    {
        var routes = ProcNetTables.ParseRoutes(RouteOfThisMachine);
        Assert.Equal(2, routes.Length);
        Assert.Equal(new RouteEntry("eth0", IPAddress.Parse("0.0.0.0"), IPAddress.Parse("192.0.2.1"), IPAddress.Parse("0.0.0.0"), 3, 0), routes[0]);
        Assert.Equal(new RouteEntry("eth0", IPAddress.Parse("192.0.2.0"), IPAddress.Parse("0.0.0.0"), IPAddress.Parse("255.255.255.0"), 1, 0), routes[1]);
        Assert.True(routes[0].IsDefaultViaGateway);
        Assert.False(routes[1].IsDefaultViaGateway);
    }

    [Fact]
    public void Each_interface_gets_the_gateway_of_its_lowest_metric_default_route()
    {
        var routes = ProcNetTables.ParseRoutes(TestData.Read("kernel/proc-net-route-host.txt"));
        Assert.Equal(4, routes.Length);
        var gateways = ProcNetTables.DefaultGateways(routes);
        Assert.Equal(IPAddress.Parse("198.51.100.1"), gateways["eth0"]);
        Assert.Equal(IPAddress.Parse("203.0.113.1"), gateways["eth1"]);
        Assert.Equal(100, routes.Single(r => r.Interface == "eth1" && r.IsDefaultViaGateway).Metric);
        Assert.Equal(IPAddress.Parse("255.255.255.128"), routes.Single(r => r.Interface == "eth1" && !r.IsDefaultViaGateway).Mask);
    }

    [Fact]
    public void A_second_default_route_with_a_higher_metric_does_not_win()
    {
        const string text =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
            "eth0\t00000000\t016433C6\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
            "eth0\t00000000\t026433C6\t0003\t0\t0\t50\t00000000\t0\t0\t0\n";
        Assert.Equal(IPAddress.Parse("198.51.100.2"), ProcNetTables.DefaultGateways(ProcNetTables.ParseRoutes(text))["eth0"]);
    }

    [Fact]
    public void A_default_route_without_gateway_flag_gives_no_gateway()
    {
        // `ip route add default dev tun0`: destination 0/0 but no RTF_GATEWAY.
        const string text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
                            "tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n";
        Assert.Empty(ProcNetTables.DefaultGateways(ProcNetTables.ParseRoutes(text)));
    }

    [Fact]
    public void Truncated_route_line_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => ProcNetTables.ParseRoutes("Iface\tDestination\n eth0\t00000000\t0\n"));
    }

    [Fact]
    public void Arp_table_entries_carry_address_mac_flags_and_device()
    {
        var entries = ProcNetTables.ParseNeighbours(TestData.Read("kernel/proc-net-arp-host.txt"));
        Assert.Equal(
            [
                new NeighbourEntry(IPAddress.Parse("203.0.113.5"), MacAddress.Parse("00:00:00:00:00:00"), 0x0, "eth1"),
                new NeighbourEntry(IPAddress.Parse("198.51.100.9"), MacAddress.Parse("02:00:00:00:00:09"), 0x2, "eth0"),
                new NeighbourEntry(IPAddress.Parse("198.51.100.1"), MacAddress.Parse("02:00:00:00:00:fe"), 0x6, "eth0"),
            ],
            entries.ToArray());
        Assert.False(entries[0].IsComplete);
        Assert.True(entries[2].IsComplete);
    }

    [Fact]
    public void Gateway_mac_comes_only_from_a_resolved_entry_on_the_same_device()
    {
        var entries = ProcNetTables.ParseNeighbours(TestData.Read("kernel/proc-net-arp-host.txt"));
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:fe"), ProcNetTables.ResolvedMac(entries, IPAddress.Parse("198.51.100.1"), "eth0"));
        Assert.Null(ProcNetTables.ResolvedMac(entries, IPAddress.Parse("198.51.100.1"), "eth1"));
        Assert.Null(ProcNetTables.ResolvedMac(entries, IPAddress.Parse("203.0.113.5"), "eth1"));
    }

    [Fact]
    public void Ip_addr_json_gives_name_mac_mtu_and_ipv4_addresses_primary_first()
    {
        var links = IpJson.ParseLinks(TestData.Read("kernel/ip-addr-show-host.json"));
        Assert.Equal(["lo", "eth1", "eth0"], links.Select(l => l.Name).ToArray());
        var eth0 = links[2];
        Assert.Equal(3, eth0.Index);
        Assert.Equal(MacAddress.Parse("02:00:00:00:01:07"), eth0.Mac);
        Assert.Equal(1450, eth0.Mtu);
        Assert.Equal("ether", eth0.LinkType);
        Assert.Equal([new IpLinkAddress("198.51.100.7", 24), new IpLinkAddress("198.51.100.70", 24)], eth0.IPv4.ToArray());
    }

    [Fact]
    public void Ip_link_json_without_addresses_and_empty_output_parse()
    {
        var links = IpJson.ParseLinks(TestData.Read("kernel/ip-link-show-vm.json"));
        Assert.Equal(MacAddress.Parse("02:00:00:aa:bb:01"), links.Single(l => l.Name == "eth0").Mac);
        Assert.All(links, l => Assert.Empty(l.IPv4));
        Assert.Empty(IpJson.ParseLinks(""));
        Assert.Throws<FormatException>(() => IpJson.ParseLinks("Device \"eth0\" does not exist."));
    }

    [Fact]
    public void Kernel_inventory_joins_interfaces_gateways_and_gateway_macs_without_loopback()
    {
        var runner = new RecordedRunner().Answer("ip -j addr show", TestData.Read("kernel/ip-addr-show-host.json"));
        var files = new Dictionary<string, string>
        {
            ["/proc/net/route"] = TestData.Read("kernel/proc-net-route-host.txt"),
            ["/proc/net/arp"] = TestData.Read("kernel/proc-net-arp-host.txt"),
        };
        var inventory = new KernelHostInventory(runner, path => files[path]);

        var interfaces = inventory.ReadInterfaces();

        Assert.Equal(
            [
                new InterfaceInfo("eth1", "203.0.113.7", 25, MacAddress.Parse("02:00:00:00:02:07"), "203.0.113.1", null, 1500),
                new InterfaceInfo("eth0", "198.51.100.7", 24, MacAddress.Parse("02:00:00:00:01:07"), "198.51.100.1", MacAddress.Parse("02:00:00:00:00:fe"), 1450),
            ],
            interfaces.ToArray());
    }

    [Fact]
    public void Interface_without_ipv4_or_default_route_is_still_listed()
    {
        var links = IpJson.ParseLinks(TestData.Read("kernel/ip-link-show-vm.json"));
        var interfaces = KernelHostInventory.Combine(links, [], []);
        Assert.Equal([new InterfaceInfo("eth0", null, 0, MacAddress.Parse("02:00:00:aa:bb:01"), null, null, 1500)], interfaces.ToArray());
    }

    [Fact]
    public void Kernel_inventory_of_this_namespace_skips_loopback()
    {
        var interfaces = new KernelHostInventory().ReadInterfaces();
        Assert.DoesNotContain(interfaces, i => i.Name == "lo");
        Assert.All(interfaces, i => Assert.True(i.Mtu > 0));
    }

    [Fact]
    public void Kernel_inventory_without_ip_names_iproute2()
    {
        var inventory = new KernelHostInventory(RecordedRunner.NotInstalled, _ => "");
        var error = Assert.Throws<ExternalToolException>(() => inventory.ReadInterfaces());
        Assert.Equal("ip is not installed (Debian package iproute2); the host inventory needs it", error.Message);
    }
}
