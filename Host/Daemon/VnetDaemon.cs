using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Cluster.Tools.Singleton;
using Akka.Serialization.Hyperion;
using VNet.Actors.Commands;
using VNet.Actors.Logs;
using VNet.Client;
using VNet.Actors.Commands.Palettes;
using VNet.Actors.Discovery;
using VNet.Actors.Hosts;
using VNet.Actors.Negotiation;
using VNet.Actors.Topology;
using VNet.Capture.Forwarding;
using VNet.Capture.Inventory;
using VNet.Host.Observability;
using VNet.Host.Trust;
using VNet.Capture.Ports;
using VNet.Messages;

namespace VNet.Host.Daemon;

/// <summary>
/// vnetd: one node per host. Starts the actor system (cluster, remoting, Hyperion bound to VNet's
/// messages), the HostActor, the TopologyManager singleton and its proxy, and the command host;
/// on SIGTERM/SIGINT runs Akka's coordinated shutdown, which takes the links down before the node
/// leaves the cluster.
/// </summary>
public static class VnetDaemon
{
    /// <summary>
    /// The command line: <c>vnetd [--config FILE]... [--set path=value]...</c>, with <c>--help</c>
    /// and <c>--version</c>, which print and exit 0 without starting anything.
    /// </summary>
    public static Command CommandLine()
    {
        var configs = new Option<string[]>("--config", "-c")
        {
            Description = "a HOCON file layered over the defaults (repeatable; later files win). Installed: /etc/vnet/vnetd.hocon",
            HelpName = "FILE",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var sets = new Option<string[]>("--set")
        {
            Description = "one key over everything else, e.g. --set vnet.host.interface=eth1 (repeatable)",
            HelpName = "path=value",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        // A command named vnetd (not the root command, which takes the executable's name, VNet.Host).
        var root = new Command("vnetd", """
            vnetd: the VNet node daemon, one per host. Joins the cluster (seed nodes or discovery), offers
            this host's VMs and carries their frames over links. Stops cleanly on SIGTERM or SIGINT.
            Configuration: the built-in defaults, then each --config FILE, then each --set, then the
            VNET_CONFIG environment variable (a HOCON string). Every key is described in the installed
            example /etc/vnet/vnetd.hocon. Exit codes: 0 stopped cleanly, 1 bad command line, 2 bad
            configuration or cannot start.
            """) { configs, sets, new System.CommandLine.Help.HelpOption(), new VersionOption() };
        root.SetAction((result, _) => RunAsync(result.GetValue(configs) ?? [], result.GetValue(sets) ?? []));
        return root;
    }

    /// <summary>Parses the command line and runs (or prints help or the version); returns the exit code.</summary>
    /// <remarks>The daemon handles SIGTERM and SIGINT itself (a clean stop), so the library does not.</remarks>
    public static Task<int> RunAsync(IReadOnlyList<string> args) =>
        CommandLine().Parse([.. args]).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

    /// <summary>Runs the daemon until it is stopped; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> configFiles, IReadOnlyList<string> sets)
    {
        var started = Stopwatch.StartNew();
        DaemonConfig config;
        HostSettings host;
        string how;
        try
        {
            config = DaemonConfig.Load(configFiles, sets);
            host = config.Host(SubstrateAddress.ReadRoutes(), SubstrateAddress.ReadInterfaces(), out how);
            _ = config.Discovery();
        }
        catch (ArgumentException e)
        {
            await System.Console.Error.WriteLineAsync($"vnetd: {e.Message}");
            return 2;
        }

        using var notifier = ServiceNotifier.FromEnvironment();
        using var trim = NativeHeapTrim.Start(TimeSpan.FromSeconds(30));
        ActorSystem? current = null;
        var stopping = false;
        Stopwatch? stopClock = null;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var rejoin = false;
        while (true)
        {
            ActorSystem system;
            string ready;
            try
            {
                system = Start(config, host, rejoin, out ready);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or Akka.Configuration.ConfigurationException or InvalidOperationException or PkiException)
            {
                await System.Console.Error.WriteLineAsync($"vnetd: cannot start: {e.Message}");
                return 2;
            }
            Volatile.Write(ref current, system);
            if (Volatile.Read(ref stopping)) Stop(null);
            system.Log.Info("vnetd {0} started in {1:0.0} s at {2} ({3}): {4}", host.Name, started.Elapsed.TotalSeconds, host.SubstrateAddress, how, ready);
            notifier.Ready($"node {Cluster.Get(system).SelfAddress}, host {host.Name}");
            await system.WhenTerminated;
            // The links restored their ports as they stopped; this catches any a stop did not reach.
            VmPortIsolation.ReleaseAll();
            var reason = CoordinatedShutdown.Get(system).ShutdownReason;
            if (Volatile.Read(ref stopping) || !NodeRestart.ShouldRejoin(reason)) break;
            // Downed (by the split-brain resolver during a partition, or by an operator): the links
            // went down with the old actor system; a fresh one rejoins and the topology manager
            // makes them again.
            System.Console.WriteLine($"vnetd {host.Name}: removed from the cluster ({NodeRestart.Describe(reason)}); links are down; starting again in {NodeRestart.Delay.TotalSeconds:0} s to rejoin");
            notifier.Status($"removed from the cluster ({NodeRestart.Describe(reason)}); rejoining");
            rejoin = true;
            started.Restart();
            await Task.Delay(NodeRestart.Delay);
            if (Volatile.Read(ref stopping)) break;
        }
        var took = Volatile.Read(ref stopClock) is { } clock ? $" in {clock.Elapsed.TotalSeconds:0.0} s" : "";
        System.Console.WriteLine($"vnetd {host.Name}: stopped{took}");
        return 0;

        void Stop(PosixSignalContext? context)
        {
            if (context is not null) context.Cancel = true;
            if (!Volatile.Read(ref stopping))
            {
                Volatile.Write(ref stopClock, Stopwatch.StartNew());
                notifier.Stopping($"stopping ({context?.Signal.ToString() ?? "requested"})");
            }
            Volatile.Write(ref stopping, true);
            if (Volatile.Read(ref current) is { } system)
            {
                system.Log.Info("vnetd {0} stopping ({1}): links down, then leaving the cluster", host.Name, context?.Signal.ToString() ?? "requested");
                _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            }
        }
    }

    /// <summary>Creates the actor system and the node's actors; <paramref name="ready"/> says where it listens.</summary>
    /// <remarks>
    /// With <paramref name="rejoin"/> (the node was downed and starts again) it never forms a cluster
    /// of its own: its own address is taken out of the seed nodes, and bootstrap by discovery only
    /// joins a cluster that answers.
    /// </remarks>
    public static ActorSystem Start(DaemonConfig config, HostSettings host, bool rejoin, out string ready)
    {
        var hocon = config.Hocon;
        if (string.IsNullOrEmpty(hocon.GetString("akka.remote.dot-netty.tcp.hostname", "")) || hocon.GetString("akka.remote.dot-netty.tcp.hostname") == "auto")
            hocon = Akka.Configuration.ConfigurationFactory.ParseString($"akka.remote.dot-netty.tcp.hostname = \"{host.SubstrateAddress}\"").WithFallback(hocon);
        var trust = NodeTrust.Load(hocon, host.Name);
        if (trust is not null) hocon = NodeTrust.RemoteTlsConfig.WithFallback(hocon);
        hocon = NodeState.DurableConfig(config.StateDirectory()).WithFallback(hocon);
        // Every level is published and the node's logger filters at the configured one, so the
        // level can change while the node runs (logging adapters fix their level when created).
        hocon = Akka.Configuration.ConfigurationFactory.ParseString($"akka.loglevel = DEBUG\n{NodeLog.LevelKey} = \"{hocon.GetString("akka.loglevel", "INFO")}\"").WithFallback(hocon);
        if (rejoin) hocon = NodeRestart.RejoinConfig(hocon).WithFallback(hocon);
        ActorSystemSetup setup = BootstrapSetup.Create().WithConfig(hocon)
            .And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList()));
        if (trust is not null) setup = setup.And(trust.SslSetup());
        var console = config.Console(host.SubstrateAddress) with
        {
            Tls = trust is null ? null : new ConsoleTls(trust.Certificate, c => ClusterPki.IsIssuedBy(c, trust.Authority, out var why) ? null : why),
        };
        // Akka hands its pooling setting to the connections it opens and to its listening socket, but a
        // connection it accepts takes DotNetty's default allocator, which follows this variable (read
        // once, when DotNetty first allocates): without it, each accepted connection still kept 16 MiB.
        if (!hocon.GetBoolean("akka.remote.dot-netty.tcp.enable-pooling", true)) Environment.SetEnvironmentVariable("io.netty.allocator.type", "unpooled");
        var system = ActorSystem.Create("vnet", setup);
        if (trust is null) system.Log.Warning("vnet.trust.mode = off: any machine that reaches this node's port can join the cluster and command it");
        var cluster = Cluster.Get(system);

        var mediator = DistributedPubSub.Get(system).Mediator;
        // Every node replicates the desired network, so it survives the node of the singleton.
        TopologyReplica.StartReplicator(system);
        system.ActorOf(ClusterSingletonManager.Props(TopologyManager.Props(config.Topology()), PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), "topology");
        var topology = system.ActorOf(ClusterSingletonProxy.Props("/user/topology", ClusterSingletonProxySettings.Create(system)), "topology-proxy");

        // Nothing is held yet, so every VM port table and kernel link device here was left by a vnetd
        // that did not stop cleanly.
        foreach (var line in VNet.Capture.Kernel.VxlanLink.CleanStale()) system.Log.Warning("{0}", line);
        foreach (var line in VmPortIsolation.CleanStale()) system.Log.Warning("{0}", line);

        var vms = CreateVmProvider(config, host);
        var describe = new HostDescriber(host, vms, cluster.SelfAddress.ToString());
        var observability = NodeObservability.Create(hocon);
        var hostActor = system.ActorOf(HostActor.Props(host, new ProtocolNumberTable(), vms, describe.Describe,
            new KernelDataPlaneFactory(config.DataPlane()), mediator, topology, observer: observability?.Negotiations), "host");
        var discovery = StartDiscovery(system, config, hocon, rejoin, host, describe, topology, trust?.ClusterKey);

        var context = new CommandContext(system, hostActor, topology, host.Name);
        var commands = new CommandDispatcher(context, discovery);
        ImmutableArray<IPalette> palettes = [new ClusterPalette(commands), new HostPalette(commands), new LinkPalette(commands), new NetPalette(commands), new ActorPalette(commands), new HostsPalette(commands), new LogPalette(commands)];
        if (discovery is not null) palettes = palettes.Add(new DiscoverPalette(commands));
        system.ActorOf(CommandHost.Props(console, palettes, commands, host.Name, cluster.SelfAddress.ToString()), "cmd");

        system.ActorOf(ClusterLifecycleLog.Props(), "lifecycle-log");

        // Links go down before the node leaves the cluster (nothing half-made).
        var linksDown = config.LinksDownTimeout();
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "vnet-links-down", async () =>
        {
            try
            {
                await hostActor.GracefulStop(linksDown);
            }
            catch (TaskCanceledException)
            {
            }
            return Akka.Done.Instance;
        });

        var served = observability?.Start(system, context, discovery, console.Tls) ?? "metrics off";
        ready = $"node {cluster.SelfAddress} ({trust?.Description ?? "no authentication"}), console {(console.Port < 0 ? "" : $"tcp {console.BindAddress}:{console.Port}")}{(console.Port >= 0 && console.UnixSocket is not null ? " and " : "")}{(console.UnixSocket is null ? "" : $"unix {console.UnixSocket}")}{(console.Port < 0 && console.UnixSocket is null ? "none" : "")}, {served}, VM provider {vms.Name}";
        return system;
    }

    /// <summary>
    /// Starts /user/discovery (answers queries, runs searches) and, when no seed node is configured,
    /// /user/bootstrap, which finds or forms the cluster by discovery. Without a usable discovery
    /// socket the node still runs, joined only through seed nodes.
    /// </summary>
    private static IActorRef? StartDiscovery(ActorSystem system, DaemonConfig config, Akka.Configuration.Config hocon, bool rejoin, HostSettings host, HostDescriber describe, IActorRef topology, byte[]? clusterKey)
    {
        var settings = config.Discovery() with { BootstrapJoinOnly = rejoin };
        var cluster = Cluster.Get(system);
        // The seeds this actor system runs with: a rejoining node has taken its own address out.
        var seeded = hocon.GetStringList("akka.cluster.seed-nodes").Count > 0;
        if (!settings.Enabled)
        {
            if (!seeded) system.Log.Warning("no seed nodes and discovery disabled: this node waits to be joined (`vnet cluster` on another node)");
            return null;
        }
        IDiscoveryChannel channel;
        try
        {
            channel = new MulticastDiscoveryChannel(System.Net.IPAddress.Parse(settings.Group), settings.Port, settings.Interfaces);
            // With the cluster key every datagram carries its tag; without it (no key in the PKI
            // directory) discovery is open, and the log says so.
            if (clusterKey is not null) channel = new SealedDiscoveryChannel(channel, clusterKey);
            else system.Log.Warning("discovery is not authenticated: no cluster key (vnet.trust.cluster-key); any host can answer queries");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            system.Log.Error("discovery cannot listen on {0}:{1}: {2}; this node neither answers nor searches", settings.Group, settings.Port, e.Message);
            return null;
        }
        var identity = new DiscoveryIdentity(host.Name, cluster.SelfAddress.ToString());
        var discovery = system.ActorOf(DiscoveryActor.Props(settings, identity, channel, describe.Describe, topology), "discovery");
        if (!seeded && settings.Bootstrap)
            system.ActorOf(ClusterBootstrap.Props(settings, discovery, new AkkaClusterJoin(cluster)), "bootstrap");
        return discovery;
    }

    private static IVmProvider CreateVmProvider(DaemonConfig config, HostSettings host)
    {
        var (name, settings) = config.VmProvider(host.Name);
        return VmProviderFactory.Create(name, settings);
    }
}

/// <summary>Reads what the host tells about itself when it announces: interfaces from the kernel, VMs from the provider, and the load C_n.</summary>
public sealed class HostDescriber(HostSettings host, IVmProvider vms, string nodeAddress)
{
    private readonly IHostInventory _inventory = new KernelHostInventory();
    private readonly ProcLoadReader _load = new();
    private readonly object _lock = new();
    private double _lastLoad;
    private int _lastRunning = -1;
    private DateTime _lastLoadAt;

    /// <summary>
    /// Shortest interval over which C_cpu is measured: announces and discovery answers both describe
    /// the host, and a /proc/stat delta over a few milliseconds says "idle" or "saturated" at random.
    /// </summary>
    public static readonly TimeSpan MinLoadInterval = TimeSpan.FromSeconds(1);

    /// <summary>The last problem reading the inventory or VMs, if any (shown in `host show`).</summary>
    public string? LastProblem { get; private set; }

    /// <summary>The host's current description.</summary>
    public HostInfo Describe()
    {
        lock (_lock)
        {
            ImmutableArray<InterfaceInfo> interfaces = [];
            ImmutableArray<VmInfo> list = [];
            var problems = new List<string>();
            try
            {
                interfaces = _inventory.ReadInterfaces();
            }
            catch (Exception e) when (e is ExternalToolException or FormatException)
            {
                problems.Add(e.Message);
            }
            try
            {
                list = vms.ListVms();
            }
            catch (VmProviderException e)
            {
                problems.Add(e.Message);
            }
            LastProblem = problems.Count == 0 ? null : string.Join("; ", problems);
            var running = list.Count(v => v.State == "running");
            if (running != _lastRunning || DateTime.UtcNow - _lastLoadAt >= MinLoadInterval)
            {
                _lastLoad = _load.ReadLoad(running);
                _lastRunning = running;
                _lastLoadAt = DateTime.UtcNow;
            }
            var load = _lastLoad;
            return new HostInfo(host.Name, host.SubstrateAddress, interfaces, list, load) { NodeAddress = nodeAddress };
        }
    }
}
