using System.Net;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using VNet.Host.Daemon;

namespace VNet.Host.Tests.Daemon;

/// <summary>
/// vnetd's keys have their defaults in hocon/vnetd.hocon and nowhere else: every reader works on
/// the defaults alone, a key taken away is reported by name (no default in code takes its place),
/// and the installed example /etc/vnet/vnetd.hocon lists every key with the same default.
/// </summary>
public sealed class DaemonConfigTests
{
    private static readonly HostInterface Eth0 = new("eth0", true, [new HostInterfaceAddress(IPAddress.Parse("192.0.2.10"), 24)]);
    private static readonly DefaultRoute Route = new("eth0", IPAddress.Parse("192.0.2.1"), 0);

    private static IEnumerable<(string Path, HoconValue Value)> Leaves(HoconObject o, string prefix)
    {
        foreach (var (key, value) in o.Items)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value.IsObject()) foreach (var leaf in Leaves(value.GetObject(), path)) yield return leaf;
            else yield return (path, value);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Every_reader_works_on_the_defaults_alone_and_takes_their_values()
    {
        var config = DaemonConfig.FromText("");
        var host = config.Host([Route], [Eth0], out var how);
        Assert.Equal("192.0.2.10", host.SubstrateAddress);
        Assert.Equal("interface eth0 of the default route", how);
        var defaults = DaemonConfig.Defaults();
        Assert.Equal(defaults.GetInt("vnet.host.udp-port-first"), host.UdpPortFirst);
        Assert.Equal(defaults.GetTimeSpan("vnet.host.worker-restart-window"), host.LinkRecovery.RestartWindow);
        Assert.Equal(defaults.GetInt("vnet.discovery.port"), config.Discovery().Port);
        Assert.Equal(defaults.GetTimeSpan("vnet.topology.retry-max"), config.Topology().RetryMax);
        Assert.Equal(defaults.GetInt("vnet.multipoint.port-base"), config.DataPlane().MulticastPortBase);
        Assert.Equal(defaults.GetInt("vnet.console.port"), config.Console(host.SubstrateAddress).Port);
        Assert.Equal(defaults.GetString("vnet.state-dir"), config.StateDirectory());
        Assert.Equal(defaults.GetTimeSpan("vnet.shutdown.links-down"), config.LinksDownTimeout());
        var (provider, settings) = config.VmProvider("h1");
        Assert.Equal(defaults.GetString("vnet.vm-provider"), provider);
        Assert.Equal(defaults.GetString("vnet.vboxmanage"), settings.VBoxManageCommand);
        Assert.Null(settings.LibvirtUri);
    }

    [Fact]
    public void A_layer_over_the_defaults_wins()
    {
        var config = DaemonConfig.FromText("""
            vnet.host.udp-port-first = 40000
            vnet.libvirt-uri = "qemu:///system"
            vnet.vm-provider = libvirt
            """);
        Assert.Equal(40000, config.Host([Route], [Eth0], out _).UdpPortFirst);
        Assert.Equal(("libvirt", "qemu:///system"), (config.VmProvider("h1").Name, config.VmProvider("h1").Settings.LibvirtUri));
    }

    [Fact]
    public void A_key_missing_from_the_configuration_is_named_and_no_default_in_code_takes_its_place()
    {
        // The defaults without vnet.host.udp-port-first: the reader must fail, not invent 47000.
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon")).Replace("udp-port-first = 47000", "");
        var config = DaemonConfig.Of(ConfigurationFactory.ParseString(text));
        var e = Assert.Throws<ArgumentException>(() => config.Host([Route], [Eth0], out _));
        Assert.Contains("vnet.host.udp-port-first is not set", e.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_kind_is_reported_with_its_key()
    {
        var e = Assert.Throws<ArgumentException>(() => DaemonConfig.FromText("vnet.topology.retry-max = soon").Topology());
        Assert.Contains("vnet.topology.retry-max = soon: expected a duration", e.Message);
    }

    [Fact]
    public void A_loopback_cluster_address_is_refused_unless_allowed()
    {
        var e = Assert.Throws<ArgumentException>(() => DaemonConfig.FromText("akka.remote.dot-netty.tcp.hostname = 127.0.0.1").Host([Route], [Eth0], out _));
        Assert.Contains("akka.remote.dot-netty.tcp.hostname = 127.0.0.1 is a loopback address", e.Message);
        DaemonConfig.FromText("akka.remote.dot-netty.tcp.hostname = 127.0.0.1\nvnet.host.allow-loopback = on").Host([Route], [Eth0], out _);
    }

    [Fact]
    public void The_installed_example_lists_every_vnet_key_with_its_default()
    {
        // The example has every key commented out as `# full.path = default`: uncommented, it must
        // read as the defaults do, key for key.
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), "packaging", "vnetd.hocon"))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^#\s?((?:vnet|akka)\.[a-z0-9.-]+\s*=.*)$"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value);
        var example = ConfigurationFactory.ParseString(string.Join("\n", lines));
        var defaults = DaemonConfig.Defaults();
        var missing = new List<string>();
        foreach (var (path, value) in Leaves(defaults.Root.GetObject(), "").Where(l => l.Path.StartsWith("vnet.")))
        {
            if (!example.HasPath(path)) missing.Add(path);
            else Assert.True(example.GetValue(path).ToString() == value.ToString(), $"{path}: the example says {example.GetValue(path)}, the default is {value}");
        }
        Assert.True(missing.Count == 0, "keys not in packaging/vnetd.hocon: " + string.Join(", ", missing));
        foreach (var (path, value) in Leaves(example.Root.GetObject(), ""))
        {
            Assert.True(defaults.HasPath(path), $"packaging/vnetd.hocon names {path}, which is no key of vnetd");
            Assert.True(defaults.GetValue(path).ToString() == value.ToString(), $"{path}: the example says {value}, the default is {defaults.GetValue(path)}");
        }
    }
}
