using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Akka.Configuration;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Discovery;
using VNet.Actors.Topology;
using VNet.Actors.Hosts;
using VNet.Actors.Negotiation;
using VNet.Capture.Forwarding;
using VNet.Messages;

namespace VNet.Host.Daemon;

/// <summary>
/// vnetd's configuration: the HOCON defaults in <c>hocon/vnetd.hocon</c>, then each
/// <c>--config FILE</c>, then each <c>--set path=value</c>, then the VNET_CONFIG environment
/// variable (later layers win).
/// </summary>
public sealed class DaemonConfig
{
    private DaemonConfig(Config config) => Hocon = config;

    /// <summary>The merged configuration.</summary>
    public Config Hocon { get; }

    /// <summary>Reads the layers named on the command line; errors name the file or switch.</summary>
    public static DaemonConfig Load(IReadOnlyList<string> args)
    {
        var basePath = Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon");
        if (!File.Exists(basePath)) throw new ArgumentException($"default configuration {basePath} is missing (broken build?)");
        var layers = new List<Config> { ConfigurationFactory.ParseString(File.ReadAllText(basePath)) };
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Count:
                    var file = args[++i];
                    if (!File.Exists(file)) throw new ArgumentException($"--config {file}: no such file");
                    layers.Add(Parse(File.ReadAllText(file), $"--config {file}"));
                    break;
                case "--set" when i + 1 < args.Count:
                    var kv = args[++i];
                    var eq = kv.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--set {kv}: expected path=value");
                    layers.Add(Parse($"{kv[..eq]} = {kv[(eq + 1)..]}", $"--set {kv}"));
                    break;
                default:
                    throw new ArgumentException($"vnetd: unknown argument '{args[i]}' (usage: vnetd [--config FILE]... [--set path=value]...)");
            }
        }
        if (Environment.GetEnvironmentVariable("VNET_CONFIG") is { Length: > 0 } env) layers.Add(Parse(env, "VNET_CONFIG"));
        var merged = layers[^1];
        for (var i = layers.Count - 2; i >= 0; i--) merged = merged.WithFallback(layers[i]);
        return new DaemonConfig(merged);
    }

    private static Config Parse(string text, string where)
    {
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new ArgumentException($"{where}: not valid HOCON: {e.Message}", e);
        }
    }

    /// <summary>The host's settings, with name and address filled in from the machine when not configured.</summary>
    public HostSettings Host()
    {
        var name = Hocon.GetString("vnet.host.name", "");
        if (string.IsNullOrEmpty(name)) name = Environment.MachineName;
        var address = Hocon.GetString("vnet.host.address", "");
        if (string.IsNullOrEmpty(address)) address = DefaultRouteAddress()?.ToString() ?? throw new ArgumentException("vnet.host.address is not set and no interface has a default route to take it from");
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"vnet.host.address '{address}' is not an IPv4 address");
        return new HostSettings(name, address)
        {
            UdpPortFirst = Hocon.GetInt("vnet.host.udp-port-first", 47000),
            UdpPortLast = Hocon.GetInt("vnet.host.udp-port-last", 47999),
            AnnounceInterval = Hocon.GetTimeSpan("vnet.host.announce-interval", TimeSpan.FromSeconds(3)),
            MulticastGroup = Hocon.GetString("vnet.multipoint.group", "239.192.76.1"),
            LinkRecovery = new Actors.Links.LinkRecovery(
                Hocon.GetTimeSpan("vnet.host.interface-wait", Actors.Links.LinkRecovery.Default.InterfaceWait),
                Hocon.GetInt("vnet.host.max-worker-restarts", Actors.Links.LinkRecovery.Default.MaxRestarts),
                Actors.Links.LinkRecovery.Default.RestartWindow),
            Negotiation = new NegotiationLimits(
                Hocon.GetInt("vnet.negotiation.max-rounds", 16),
                Hocon.GetTimeSpan("vnet.negotiation.reservation-ttl", TimeSpan.FromSeconds(10)),
                Hocon.GetTimeSpan("vnet.negotiation.timeout", TimeSpan.FromSeconds(10))),
        };
    }

    /// <summary>The discovery settings (<c>vnet.discovery</c>); errors name the key.</summary>
    public DiscoverySettings Discovery()
    {
        var d = new DiscoverySettings();
        var settings = d with
        {
            Enabled = Hocon.GetBoolean("vnet.discovery.enabled", d.Enabled),
            Group = Hocon.GetString("vnet.discovery.group", d.Group),
            Port = Hocon.GetInt("vnet.discovery.port", d.Port),
            TtlMax = Hocon.GetInt("vnet.discovery.ttl-max", d.TtlMax),
            Step = Hocon.GetTimeSpan("vnet.discovery.step", d.Step),
            Interfaces = [.. Hocon.GetStringList("vnet.discovery.interfaces", [])],
            AnswerRate = Hocon.GetDouble("vnet.discovery.answer-rate", d.AnswerRate),
            ReceiveRate = Hocon.GetDouble("vnet.discovery.receive-rate", d.ReceiveRate),
            Bootstrap = Hocon.GetBoolean("vnet.discovery.bootstrap", d.Bootstrap),
            BootstrapTtlMax = Hocon.GetInt("vnet.discovery.bootstrap-ttl-max", d.BootstrapTtlMax),
            BootstrapStep = Hocon.GetTimeSpan("vnet.discovery.bootstrap-step", d.BootstrapStep),
            BootstrapJoinTimeout = Hocon.GetTimeSpan("vnet.discovery.bootstrap-join-timeout", d.BootstrapJoinTimeout),
        };
        var problems = settings.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        return settings;
    }

    /// <summary>True when <c>akka.cluster.seed-nodes</c> names no node (the node then bootstraps by discovery).</summary>
    public bool HasSeedNodes() => Hocon.GetStringList("akka.cluster.seed-nodes", []).Count > 0;

    /// <summary>This node's state directory (<c>vnet.state-dir</c>, an absolute path).</summary>
    public string StateDirectory()
    {
        var dir = Hocon.GetString("vnet.state-dir", "");
        if (string.IsNullOrEmpty(dir)) dir = "/var/lib/vnet";
        if (!Path.IsPathRooted(dir)) throw new ArgumentException($"vnet.state-dir '{dir}' is not an absolute path");
        return dir;
    }

    /// <summary>The TopologyManager settings (<c>vnet.topology</c>).</summary>
    public TopologySettings Topology()
    {
        var d = new TopologySettings();
        return d with
        {
            CreateTimeout = Hocon.GetTimeSpan("vnet.topology.create-timeout", d.CreateTimeout),
            ReconcileInterval = Hocon.GetTimeSpan("vnet.topology.reconcile-interval", d.ReconcileInterval),
            Settle = Hocon.GetTimeSpan("vnet.topology.settle", d.Settle),
            RetryMin = Hocon.GetTimeSpan("vnet.topology.retry-min", d.RetryMin),
            RetryMax = Hocon.GetTimeSpan("vnet.topology.retry-max", d.RetryMax),
        };
    }

    /// <summary>The data plane settings.</summary>
    public DataPlaneSettings DataPlane() => new(
        (int)(Hocon.GetByteSize("vnet.data-plane.socket-buffer") ?? 4 << 20),
        (int)(Hocon.GetByteSize("vnet.data-plane.pcap-buffer") ?? 16 << 20),
        Hocon.GetTimeSpan("vnet.data-plane.receive-timeout", TimeSpan.FromMilliseconds(100)),
        Hocon.GetBoolean("vnet.data-plane.disable-offloads", false))
    {
        MulticastTtl = Hocon.GetInt("vnet.multipoint.ttl", 16),
        SpinMicros = Hocon.GetInt("vnet.data-plane.spin-micros", 0),
        MulticastPortBase = Hocon.GetInt("vnet.multipoint.port-base", 46000),
    };

    /// <summary>The console settings; the TCP bind address defaults to loopback (empty = the host address).</summary>
    public CommandHostSettings Console(string hostAddress)
    {
        var bind = Hocon.GetString("vnet.console.bind", "127.0.0.1");
        var unix = Hocon.GetString("vnet.console.unix-socket", "");
        if (!IPAddress.TryParse(string.IsNullOrEmpty(bind) ? hostAddress : bind, out var address)) throw new ArgumentException($"vnet.console.bind '{bind}' is not an IP address");
        return new CommandHostSettings(address, Hocon.GetInt("vnet.console.port", 9110), string.IsNullOrEmpty(unix) ? null : unix);
    }

    /// <summary>The VMs listed for the static provider.</summary>
    public ImmutableArray<VmInfo> StaticVms()
    {
        var list = new List<VmInfo>();
        foreach (var vm in Hocon.GetValue("vnet.vms")?.GetArray() ?? [])
        {
            var o = vm.GetObject();
            var name = o.GetKey("name")?.GetString() ?? throw new ArgumentException("vnet.vms: an entry has no name");
            var nics = (o.GetKey("nics")?.GetArray() ?? []).Select(n =>
            {
                var no = n.GetObject();
                var mac = no.GetKey("mac")?.GetString() ?? throw new ArgumentException($"vnet.vms: VM {name} has a NIC without mac");
                if (!MacAddress.TryParse(mac, out var parsed)) throw new ArgumentException($"vnet.vms: VM {name}: '{mac}' is not a MAC address");
                return new VmNic(parsed, no.GetKey("interface")?.GetString() ?? throw new ArgumentException($"vnet.vms: VM {name} has a NIC without interface"));
            }).ToImmutableArray();
            list.Add(new VmInfo(name, nics, "running"));
        }
        return [.. list];
    }

    /// <summary>The IPv4 address of the interface that carries the default route, if any.</summary>
    public static IPAddress? DefaultRouteAddress()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus == OperationalStatus.Down) continue;
            var props = nic.GetIPProperties();
            if (!props.GatewayAddresses.Any(g => g.Address.AddressFamily == AddressFamily.InterNetwork)) continue;
            var ip = props.UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address;
            if (ip is not null) return ip;
        }
        return null;
    }
}
