using System.Net;
using VNet.Host.Daemon;

namespace VNet.Host.Tests.Daemon;

/// <summary>Which address vnetd advertises, from recorded routes and interfaces.</summary>
public sealed class SubstrateAddressTests
{
    // /proc/net/route of a host with two default routes (metrics 100 and 50) and a LAN route.
    private const string ProcNetRoute = """
        Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
        eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
        eth1	00000000	0164A8C0	0003	0	0	50	00000000	0	0	0
        eth0	000200C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
        """;

    private static readonly HostInterface Lo = Nic("lo", ("127.0.0.1", 8));
    private static readonly HostInterface Eth0 = Nic("eth0", ("192.0.2.10", 24));
    private static readonly HostInterface Eth1 = Nic("eth1", ("10.9.9.9", 8), ("192.168.100.7", 24));

    private static HostInterface Nic(string name, params (string Address, int Prefix)[] addresses) =>
        new(name, true, [.. addresses.Select(a => new HostInterfaceAddress(IPAddress.Parse(a.Address), a.Prefix))]);

    private static SubstrateChoice Choose(string address = "", string nic = "", bool loopback = false, string routes = ProcNetRoute, params HostInterface[] interfaces) =>
        SubstrateAddress.Choose(new SubstrateRequest(address, nic, loopback), SubstrateAddress.ParseRoutes(routes), interfaces.Length == 0 ? [Lo, Eth0, Eth1] : interfaces);

    [Fact]
    public void Default_routes_are_read_from_proc_net_route_in_kernel_byte_order()
    {
        var routes = SubstrateAddress.ParseRoutes(ProcNetRoute);
        Assert.Equal(["eth0 192.0.2.1 100", "eth1 192.168.100.1 50"], routes.Select(r => $"{r.Interface} {r.Gateway} {r.Metric}"));
    }

    [Fact]
    public void The_default_route_with_the_lowest_metric_gives_the_address_in_its_gateways_subnet()
    {
        var choice = Choose();
        Assert.Null(choice.Problem);
        Assert.Equal(IPAddress.Parse("192.168.100.7"), choice.Address);
        Assert.Equal("interface eth1 of the default route", choice.How);
    }

    [Fact]
    public void A_configured_interface_wins_over_the_default_route()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Choose(nic: "eth0").Address);
        Assert.Contains("vnet.host.interface 'eth7' does not exist", Choose(nic: "eth7").Problem);
    }

    [Fact]
    public void A_configured_address_must_be_IPv4_and_of_this_machine()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Choose(address: "192.0.2.10").Address);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Choose(address: "auto", nic: "eth0").Address);
        Assert.Contains("is not an IPv4 address", Choose(address: "2001:db8::1").Problem);
        Assert.Contains("198.51.100.1 is not an address of this machine", Choose(address: "198.51.100.1").Problem);
    }

    [Fact]
    public void A_loopback_address_is_refused_unless_allowed_and_the_refusal_names_the_keys()
    {
        var refused = Choose(address: "127.0.0.1");
        Assert.Null(refused.Address);
        Assert.Contains("loopback", refused.Problem);
        Assert.Contains("vnet.host.allow-loopback = on", refused.Problem);
        Assert.Equal(IPAddress.Loopback, Choose(address: "127.0.0.1", loopback: true).Address);
        // The default route through lo (as some containers have) is no better.
        Assert.NotNull(Choose(routes: "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nlo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\n").Problem);
    }

    [Fact]
    public void Without_a_default_route_the_problem_says_what_to_set_and_lists_the_addresses()
    {
        var choice = Choose(routes: "Iface\tDestination\n");
        Assert.Null(choice.Address);
        Assert.Contains("no IPv4 default route", choice.Problem);
        Assert.Contains("vnet.host.address = <IPv4 address> or vnet.host.interface = <name>", choice.Problem);
        Assert.Contains("eth0 192.0.2.10", choice.Problem);
    }

    [Fact]
    public void A_default_route_on_a_down_interface_is_passed_over()
    {
        var down = Eth1 with { Up = false };
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Choose(interfaces: [Lo, Eth0, down]).Address);
    }
}
