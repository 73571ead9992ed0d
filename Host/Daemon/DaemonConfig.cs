using System.Collections.Immutable;
using System.Net;
using Akka.Configuration;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Discovery;
using VNet.Actors.Hosts;
using VNet.Actors.Links;
using VNet.Actors.Negotiation;
using VNet.Actors.Topology;
using VNet.Capture.Forwarding;
using VNet.Capture.Inventory;
using VNet.Messages;

namespace VNet.Host.Daemon;

/// <summary>
/// vnetd's configuration: the defaults in <c>hocon/vnetd.hocon</c> (embedded in the binary), then
/// each <c>--config FILE</c>, then each <c>--set path=value</c>, then the VNET_CONFIG environment
/// variable (later layers win). Every key has its default in that file and nowhere else: the
/// readers here take a key's value as it is and name the key when it is missing or wrong.
/// </summary>
public sealed class DaemonConfig
{
    /// <summary>Name of the embedded defaults (the file <c>hocon/vnetd.hocon</c>).</summary>
    public const string DefaultsResource = "VNet.Host.vnetd.hocon";

    private DaemonConfig(Config config) => Hocon = config;

    /// <summary>The merged configuration.</summary>
    public Config Hocon { get; }

    /// <summary>The defaults alone, as shipped.</summary>
    public static Config Defaults()
    {
        using var stream = typeof(DaemonConfig).Assembly.GetManifestResourceStream(DefaultsResource)
            ?? throw new InvalidOperationException($"embedded resource {DefaultsResource} is missing (broken build?)");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The configuration from text layered over the defaults (tests, and each layer of <see cref="Load"/>).</summary>
    public static DaemonConfig FromText(string text, string where = "configuration") => new(Parse(text, where).WithFallback(Defaults()));

    /// <summary>A configuration taken as it is, without the defaults (tests: a missing key is then missing).</summary>
    internal static DaemonConfig Of(Config config) => new(config);

    /// <summary>Reads the layers named on the command line; errors name the file or switch.</summary>
    public static DaemonConfig Load(IReadOnlyList<string> configFiles, IReadOnlyList<string> sets)
    {
        var layers = new List<Config> { Defaults() };
        foreach (var file in configFiles)
        {
            if (!File.Exists(file)) throw new ArgumentException($"--config {file}: no such file");
            layers.Add(Parse(File.ReadAllText(file), $"--config {file}"));
        }
        foreach (var kv in sets)
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set {kv}: expected path=value");
            layers.Add(Parse($"{kv[..eq]} = {kv[(eq + 1)..]}", $"--set {kv}"));
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

    /// <summary>The host's settings, its substrate address found from this machine's routes and interfaces when not configured.</summary>
    public HostSettings Host() => Host(SubstrateAddress.ReadRoutes(), SubstrateAddress.ReadInterfaces(), out _);

    /// <summary>The host's settings with the routes and interfaces given; <paramref name="how"/> says where the address came from.</summary>
    public HostSettings Host(IReadOnlyList<DefaultRoute> routes, IReadOnlyList<HostInterface> interfaces, out string how)
    {
        var name = String("vnet.host.name");
        if (name.Length == 0) name = Environment.MachineName;
        var choice = SubstrateAddress.Choose(new SubstrateRequest(String("vnet.host.address"), String("vnet.host.interface"), Bool("vnet.host.allow-loopback")), routes, interfaces);
        if (choice.Problem is not null) throw new ArgumentException(choice.Problem);
        how = choice.How;
        var advertised = String("akka.remote.dot-netty.tcp.hostname");
        if (advertised is { Length: > 0 } && advertised != "auto" && IPAddress.TryParse(advertised, out var ip) && IPAddress.IsLoopback(ip) && !Bool("vnet.host.allow-loopback"))
            throw new ArgumentException($"akka.remote.dot-netty.tcp.hostname = {advertised} is a loopback address: no other host can reach this node; leave it empty (= the substrate address), or set vnet.host.allow-loopback = on when every node runs on this one machine");
        return new HostSettings(name, choice.Address!.ToString())
        {
            UdpPortFirst = Int("vnet.host.udp-port-first"),
            UdpPortLast = Int("vnet.host.udp-port-last"),
            AnnounceInterval = Time("vnet.host.announce-interval"),
            MulticastGroup = String("vnet.multipoint.group"),
            LinkRecovery = new LinkRecovery(Time("vnet.host.interface-wait"), Int("vnet.host.max-worker-restarts"), Time("vnet.host.worker-restart-window")),
            Negotiation = new NegotiationLimits(Int("vnet.negotiation.max-rounds"), Time("vnet.negotiation.reservation-ttl"), Time("vnet.negotiation.timeout")),
            ProtocolNumbers = ProtocolNumbers(),
        };
    }

    private ProtocolNumberRule ProtocolNumbers()
    {
        var text = String("vnet.negotiation.protocol-numbers");
        return ProtocolScopes.TryParse(text, out var rule)
            ? rule
            : throw new ArgumentException($"vnet.negotiation.protocol-numbers '{text}' is not one of per-peer, per-host");
    }

    /// <summary>The discovery settings (<c>vnet.discovery</c>); errors name the key.</summary>
    public DiscoverySettings Discovery()
    {
        var settings = new DiscoverySettings
        {
            Enabled = Bool("vnet.discovery.enabled"),
            Group = String("vnet.discovery.group"),
            Port = Int("vnet.discovery.port"),
            TtlMax = Int("vnet.discovery.ttl-max"),
            Step = Time("vnet.discovery.step"),
            Interfaces = [.. Need("vnet.discovery.interfaces").GetStringList("vnet.discovery.interfaces")],
            AnswerRate = Need("vnet.discovery.answer-rate").GetDouble("vnet.discovery.answer-rate"),
            ReceiveRate = Need("vnet.discovery.receive-rate").GetDouble("vnet.discovery.receive-rate"),
            Bootstrap = Bool("vnet.discovery.bootstrap"),
            BootstrapTtlMax = Int("vnet.discovery.bootstrap-ttl-max"),
            BootstrapStep = Time("vnet.discovery.bootstrap-step"),
            BootstrapJoinTimeout = Time("vnet.discovery.bootstrap-join-timeout"),
        };
        var problems = settings.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        return settings;
    }

    /// <summary>True when <c>akka.cluster.seed-nodes</c> names no node (the node then bootstraps by discovery).</summary>
    public bool HasSeedNodes() => Need("akka.cluster.seed-nodes").GetStringList("akka.cluster.seed-nodes").Count > 0;

    /// <summary>This node's state directory (<c>vnet.state-dir</c>, an absolute path).</summary>
    public string StateDirectory()
    {
        var dir = String("vnet.state-dir");
        if (!Path.IsPathRooted(dir)) throw new ArgumentException($"vnet.state-dir '{dir}' is not an absolute path");
        return dir;
    }

    /// <summary>The TopologyManager settings (<c>vnet.topology</c>).</summary>
    public TopologySettings Topology()
    {
        var concurrency = Int("vnet.topology.load-concurrency");
        if (concurrency is < 1 or > 1024) throw new ArgumentException($"vnet.topology.load-concurrency {concurrency} is out of range 1-1024");
        return new()
        {
            CreateTimeout = Time("vnet.topology.create-timeout"),
            ReconcileInterval = Time("vnet.topology.reconcile-interval"),
            Settle = Time("vnet.topology.settle"),
            RetryMin = Time("vnet.topology.retry-min"),
            RetryMax = Time("vnet.topology.retry-max"),
            StartTimeout = Time("vnet.topology.start-timeout"),
            LoadConcurrency = concurrency,
        };
    }

    /// <summary>The data plane settings (<c>vnet.data-plane</c>, <c>vnet.multipoint</c>).</summary>
    public DataPlaneSettings DataPlane() => new(Bytes("vnet.data-plane.socket-buffer"), Bytes("vnet.data-plane.pcap-buffer"),
        Time("vnet.data-plane.receive-timeout"), Bool("vnet.data-plane.disable-offloads"))
    {
        MulticastTtl = Int("vnet.multipoint.ttl"),
        SpinMicros = Int("vnet.data-plane.spin-micros"),
        ForwarderThreads = ForwarderThreads(),
        ForwarderNice = ForwarderNice(),
        MulticastPortBase = Int("vnet.multipoint.port-base"),
    };

    /// <summary><c>vnet.data-plane.forwarder-nice</c>, -20 to 19.</summary>
    private int ForwarderNice()
    {
        var nice = Int("vnet.data-plane.forwarder-nice");
        return nice is >= -20 and <= 19 ? nice : throw new ArgumentException($"vnet.data-plane.forwarder-nice {nice} is out of range -20 to 19");
    }

    /// <summary><c>vnet.data-plane.forwarder-threads</c>: <c>auto</c> (one per CPU), a count, or 0 (a thread per direction of each link).</summary>
    private int ForwarderThreads()
    {
        var value = String("vnet.data-plane.forwarder-threads").Trim();
        if (value.Equals("auto", StringComparison.OrdinalIgnoreCase)) return Math.Max(1, Environment.ProcessorCount);
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= 256) return n;
        throw new ArgumentException($"vnet.data-plane.forwarder-threads '{value}' is neither auto nor a count 0-256");
    }

    /// <summary>The console settings (<c>vnet.console</c>); an empty bind address = the host address.</summary>
    public CommandHostSettings Console(string hostAddress)
    {
        var bind = String("vnet.console.bind");
        var unix = String("vnet.console.unix-socket");
        if (!IPAddress.TryParse(bind.Length == 0 ? hostAddress : bind, out var address)) throw new ArgumentException($"vnet.console.bind '{bind}' is not an IP address");
        return new CommandHostSettings(address, Int("vnet.console.port"), unix.Length == 0 ? null : unix);
    }

    /// <summary>The VM provider's name and settings (<c>vnet.vm-provider</c> and the keys of each provider).</summary>
    public (string Name, VmProviderSettings Settings) VmProvider(string hostName) => (String("vnet.vm-provider"), new VmProviderSettings
    {
        HostName = hostName,
        NetnsPrefix = String("vnet.netns-prefix"),
        StaticVms = StaticVms(),
        LibvirtUri = String("vnet.libvirt-uri") is { Length: > 0 } uri ? uri : null,
        VBoxManageCommand = String("vnet.vboxmanage"),
    });

    /// <summary>The VMs listed for the static provider (<c>vnet.vms</c>).</summary>
    public ImmutableArray<VmInfo> StaticVms()
    {
        var list = new List<VmInfo>();
        foreach (var vm in Need("vnet.vms").GetValue("vnet.vms").GetArray())
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

    /// <summary>How long a clean stop waits for the links to go down (<c>vnet.shutdown.links-down</c>).</summary>
    public TimeSpan LinksDownTimeout() => Time("vnet.shutdown.links-down");

    private Config Need(string path) =>
        Hocon.HasPath(path) ? Hocon : throw new ArgumentException($"{path} is not set (the defaults in hocon/vnetd.hocon name every key; is a layer replacing its section?)");

    private string String(string path) => Need(path).GetString(path) ?? "";

    private int Int(string path) => Read(path, () => Hocon.GetInt(path), "an integer");

    private bool Bool(string path) => Read(path, () => Hocon.GetBoolean(path), "on or off");

    private TimeSpan Time(string path) => Read(path, () => Hocon.GetTimeSpan(path, allowInfinite: false), "a duration such as 500ms or 10s");

    private int Bytes(string path) => Read(path, () => (int)(Hocon.GetByteSize(path) ?? throw new FormatException()), "a size such as 4MiB");

    private T Read<T>(string path, Func<T> read, string what)
    {
        Need(path);
        try
        {
            return read();
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException or InvalidCastException)
        {
            throw new ArgumentException($"{path} = {Hocon.GetValue(path)}: expected {what}");
        }
    }
}
