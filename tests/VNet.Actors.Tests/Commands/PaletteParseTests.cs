using System.Collections.Immutable;
using Akka.TestKit.Xunit2;
using VNet.Actors.Commands;
using VNet.Actors.Commands.Palettes;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Tests.Commands;

/// <summary>Palettes turn a command line's switches into the typed request, and refuse bad switches naming them.</summary>
public sealed class PaletteParseTests : TestKit
{
    private readonly CommandDispatcher _dispatcher;

    public PaletteParseTests() =>
        _dispatcher = new CommandDispatcher(new CommandContext(Sys, CreateTestProbe().Ref, CreateTestProbe().Ref, "h1"), null);

    private static CommandRequest Line(string palette, string command, params (string Name, string Value)[] args) =>
        new(palette, command, args.ToImmutableDictionary(a => a.Name, a => a.Value), false);

    [Fact]
    public void Link_create_becomes_a_create_link_with_every_option_it_names()
    {
        var create = Assert.IsType<CreateLink>(new LinkPalette(_dispatcher).Parse(Line("link", "create",
            ("id", "l1"), ("vms", "vm1, vm2@h2"), ("kind", "udp-p2p"), ("bandwidth", "20M"), ("delay", "5"), ("compression", "lz4"), ("auth", "off"), ("filter-src", "on"))));
        Assert.Equal(("l1", LinkKind.UdpP2P), (create.Id, create.Kind));
        Assert.Equal(["vm1", "vm2@h2"], create.Vms.ToArray());
        Assert.Equal(LinkOptions.Default with { BandwidthBitsPerSecond = 20_000_000, DelayMs = 5, Compression = Compression.Lz4, Authenticate = false, FilterSource = true }, create.Options);
    }

    [Fact]
    public void Link_create_refuses_auth_on_for_a_kernel_link_and_takes_it_without_the_switch()
    {
        var palette = new LinkPalette(_dispatcher);
        var e = Assert.Throws<CommandException>(() => palette.Parse(Line("link", "create", ("id", "k1"), ("vms", "vm1,vm2"), ("kind", "kernel-p2p"), ("auth", "on"))));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains("--auth on is not possible on a kernel-p2p link", e.Message);
        Assert.Equal(LinkKind.KernelP2P, Assert.IsType<CreateLink>(palette.Parse(Line("link", "create", ("id", "k1"), ("vms", "vm1,vm2"), ("kind", "kernel-p2p")))).Kind);
    }

    [Fact]
    public void Link_set_carries_only_the_options_named()
    {
        var set = Assert.IsType<SetLinkOptions>(new LinkPalette(_dispatcher).Parse(Line("link", "set", ("id", "l1"), ("loss", "2"), ("bandwidth", "60M"))));
        Assert.Equal(new LinkOptionChanges { LossPercent = 2, BandwidthBitsPerSecond = 60_000_000 }, set.Changes);
        var current = LinkOptions.Default with { DelayMs = 5, Dscp = 46 };
        Assert.Equal(current with { LossPercent = 2, BandwidthBitsPerSecond = 60_000_000 }, set.Changes.ApplyTo(current));
        var none = Assert.Throws<CommandException>(() => new LinkPalette(_dispatcher).Parse(Line("link", "set", ("id", "l1"))));
        Assert.Equal(ExitCodes.Usage, none.Exit);
        Assert.Contains("name at least one option", none.Message);
    }

    [Theory]
    [InlineData("loss", "150", "--loss '150' is not a number in 0-100")]
    [InlineData("bandwidth", "5X", "--bandwidth '5X' is not a rate")]
    [InlineData("dscp", "64", "--dscp '64' is not a whole number in 0-63")]
    [InlineData("compression", "zip", "--compression 'zip' must be none or lz4")]
    [InlineData("encrypt", "maybe", "--encrypt 'maybe' must be on or off")]
    public void A_bad_option_value_is_a_usage_error_naming_the_switch(string name, string value, string expected)
    {
        var e = Assert.Throws<CommandException>(() => new LinkPalette(_dispatcher).Parse(Line("link", "set", ("id", "l1"), (name, value))));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_other_link_commands_name_their_link()
    {
        var palette = new LinkPalette(_dispatcher);
        Assert.Equal(new GetLinks("l1"), palette.Parse(Line("link", "show", ("id", "l1"))));
        Assert.Equal(new GetLinks(), palette.Parse(Line("link", "show")));
        Assert.Equal(new GetLinkStats("l1"), palette.Parse(Line("link", "stats", ("id", "l1"))));
        Assert.Equal(new DeleteLink("l1"), palette.Parse(Line("link", "delete", ("id", "l1"))));
        Assert.Equal(new CaptureLink("l1", "h2", false, 0.5, "icmp", 1 << 20),
            palette.Parse(Line("link", "capture", ("id", "l1"), ("file", "c.pcap"), ("host", "h2"), ("seconds", "0.5"), ("filter", "icmp"), ("max-bytes", "1M"))));
    }

    [Fact]
    public void Link_capture_without_seconds_runs_until_stopped_and_end_both_captures_every_end()
    {
        var palette = new LinkPalette(_dispatcher);
        Assert.Equal(new CaptureLink("l1", null, true, null, null, null),
            palette.Parse(Line("link", "capture", ("id", "l1"), ("file", "-"), ("end", "both"))));
        Assert.Equal(new CaptureLink("l1", "h2", false, null, null, null),
            palette.Parse(Line("link", "capture", ("id", "l1"), ("summary", "true"), ("end", "h2"))));
    }

    [Theory]
    [InlineData("--file PATH (- for standard output) or --summary")]
    [InlineData("--summary and --file - both write to standard output", "file", "-", "summary", "true")]
    [InlineData("--end h1 and --host h2 name different ends", "file", "c.pcap", "end", "h1", "host", "h2")]
    [InlineData("--max-bytes 'lots' is not a size", "file", "c.pcap", "max-bytes", "lots")]
    public void Link_capture_refuses_contradicting_or_missing_outputs_naming_the_switches(string problem, params string[] switches)
    {
        var palette = new LinkPalette(_dispatcher);
        var pairs = Enumerable.Range(0, switches.Length / 2).Select(i => (switches[2 * i], switches[2 * i + 1])).Prepend(("id", "l1")).ToArray();
        var e = Assert.Throws<CommandException>(() => palette.Parse(Line("link", "capture", pairs)));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Net_load_carries_the_file_the_client_sent_and_net_show_and_save_ask_for_the_running_network()
    {
        var palette = new NetPalette(_dispatcher);
        var load = Assert.IsType<LoadNetwork>(palette.Parse(Line("net", "load", ("file", "n.xml"), ("@file", Convert.ToBase64String("<network/>"u8.ToArray())), ("dry-run", ""))));
        Assert.Equal(("n.xml", "<network/>", true), (load.Path, System.Text.Encoding.UTF8.GetString(load.Content), load.DryRun));
        Assert.Same(GetNetwork.Instance, palette.Parse(Line("net", "show")));
        Assert.Same(GetNetwork.Instance, palette.Parse(Line("net", "save", ("file", "n.xml"))));
        var e = Assert.Throws<CommandException>(() => palette.Parse(Line("net", "load", ("file", "n.xml"), ("@file", "not base64!"))));
        Assert.Contains("not base64", e.Message);
    }

    [Fact]
    public void Cluster_host_actor_hosts_and_discover_commands_become_their_requests()
    {
        Assert.Equal(new TailCluster(3), new ClusterPalette(_dispatcher).Parse(Line("cluster", "tail", ("seconds", "3"))));
        Assert.Equal(new LeaveCluster("akka.tcp://vnet@192.0.2.10:4053"), new ClusterPalette(_dispatcher).Parse(Line("cluster", "leave", ("address", "akka.tcp://vnet@192.0.2.10:4053"))));
        Assert.Same(GetMembers.Instance, new ClusterPalette(_dispatcher).Parse(Line("cluster", "show")));
        Assert.Same(DownUnreachable.Instance, new ClusterPalette(_dispatcher).Parse(Line("cluster", "down-unreachable")));
        Assert.Same(GetHostInfo.Instance, new HostPalette(_dispatcher).Parse(Line("host", "inventory")));
        Assert.Same(GetHostLinks.Instance, new HostPalette(_dispatcher).Parse(Line("host", "links")));
        Assert.Equal(new GetHosts("h2"), new HostsPalette(_dispatcher).Parse(Line("hosts", "show", ("host", "h2"))));
        Assert.Equal(new GetActorHierarchy(2), new ActorPalette(_dispatcher).Parse(Line("actor", "hierarchy", ("depth", "2"))));
        Assert.Equal(new SearchHosts(3, 2, 0.5), new DiscoverPalette(_dispatcher).Parse(Line("discover", "search", ("ttl-max", "3"), ("want", "2"), ("step", "0.5"))));
        var e = Assert.Throws<CommandException>(() => new ActorPalette(_dispatcher).Parse(Line("actor", "hierarchy", ("depth", "9"))));
        Assert.Contains("--depth '9' is not a whole number in 1-8", e.Message);
    }
}
