using VNet.Actors.Topology;
using VNet.Messages;

namespace VNet.Actors.Tests.Topology;

public sealed class PlacementTests
{
    private static HostInfo Host(string name, double load, params string[] vms) =>
        new(name, $"192.0.2.{name[^1] - '0' + 10}", [], [.. vms.Select((v, i) => new VmInfo(v, [new VmNic(new MacAddress(0x020000000000UL + (ulong)(name[^1] * 16 + i)), v)], "running"))], load);

    private static PlacementCandidate Ready(HostInfo h) => new(h, true);

    [Fact]
    public void An_unpinned_vm_goes_to_the_least_loaded_host_that_offers_it()
    {
        var hosts = new[] { Ready(Host("h1", 0.9, "web")), Ready(Host("h2", 0.1, "web")), Ready(Host("h3", 0.01, "db")) };
        Assert.Equal("h2", Placement.Choose(new VmRef("web", null), hosts).Host!.Name);
    }

    [Fact]
    public void Hosts_that_are_down_are_not_chosen_even_when_less_loaded()
    {
        var hosts = new[] { Ready(Host("h1", 0.9, "web")), new PlacementCandidate(Host("h2", 0.1, "web"), false) };
        Assert.Equal("h1", Placement.Choose(new VmRef("web", null), hosts).Host!.Name);
        var down = Placement.Choose(new VmRef("web", null), [new PlacementCandidate(Host("h2", 0.1, "web"), false)]);
        Assert.Null(down.Host);
        Assert.Contains("only offered by host(s) that are down: h2", down.Problem);
    }

    [Fact]
    public void A_pinned_vm_goes_to_its_host_whatever_the_load()
    {
        var hosts = new[] { Ready(Host("h1", 0.9, "web")), Ready(Host("h2", 0.1, "web")) };
        Assert.Equal("h1", Placement.Choose(VmRef.Parse("web@h1"), hosts).Host!.Name);
        Assert.Contains("does not offer", Placement.Choose(VmRef.Parse("web@h3"), hosts).Problem);
    }

    [Fact]
    public void Unknown_vms_are_named_in_the_problem()
    {
        Assert.Equal("unknown VM 'ghost': no host in the cluster offers it", Placement.Choose(new VmRef("ghost", null), [Ready(Host("h1", 0, "web"))]).Problem);
    }

    [Fact]
    public void Ties_go_to_the_host_name()
    {
        var hosts = new[] { Ready(Host("h3", 0, "web")), Ready(Host("h1", 0, "web")), Ready(Host("h2", 0, "web")) };
        Assert.Equal("h1", Placement.Choose(new VmRef("web", null), hosts).Host!.Name);
    }

    [Fact]
    public void The_ends_of_a_link_go_to_different_hosts_when_they_can()
    {
        // Both VMs are offered by both hosts; h1 is less loaded, but a link joins VMs on different hosts.
        var hosts = new[] { Ready(Host("h1", 0.1, "a", "b")), Ready(Host("h2", 0.5, "a", "b")) };
        var (ends, problems) = Placement.Endpoints([new VmRef("a", null), new VmRef("b", null)], hosts);
        Assert.Empty(problems);
        Assert.Equal(["a@h1", "b@h2"], ends.Select(e => $"{e.Vm}@{e.Host}").ToArray());
    }

    [Fact]
    public void A_link_brought_back_keeps_its_hosts_while_they_are_up()
    {
        var hosts = new[] { Ready(Host("h1", 0.9, "a")), Ready(Host("h2", 0.1, "a")), Ready(Host("h3", 0.1, "b")) };
        var before = new LinkSpec("l1", LinkKind.RawP2P, [new LinkEndpoint("h1", "a", default, "192.0.2.11"), new LinkEndpoint("h3", "b", default, "192.0.2.13")], LinkOptions.Default);
        var (ends, problems) = Placement.Endpoints([new VmRef("a", null), new VmRef("b", null)], hosts, before);
        Assert.Empty(problems);
        Assert.Equal(["h1", "h3"], ends.Select(e => e.Host).ToArray());
        Assert.Equal("a", ends[0].HostInterface);
    }

    [Fact]
    public void Two_vms_only_on_the_same_host_are_refused()
    {
        var (_, problems) = Placement.Endpoints([new VmRef("a", null), new VmRef("b", null)], [Ready(Host("h1", 0, "a", "b"))]);
        Assert.Contains(problems, p => p.Contains("on the same host h1"));
    }
}
