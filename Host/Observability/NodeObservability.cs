using Akka.Actor;
using Akka.Configuration;
using Prometheus;
using VNet.Actors.Commands;

namespace VNet.Host.Observability;

/// <summary>
/// A node's metrics and topology page, as vnetd wires them: <see cref="Create"/> before the
/// HostActor (which reports negotiations to <see cref="Negotiations"/>), <see cref="Start"/> once
/// the node's actors run; the listener stops with the actor system.
/// </summary>
public sealed class NodeObservability
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();

    private NodeObservability(MetricsSettings settings)
    {
        Settings = settings;
        Negotiations = new NegotiationMetrics(Metrics.WithCustomRegistry(_registry));
    }

    /// <summary>The <c>vnet.metrics</c> settings.</summary>
    public MetricsSettings Settings { get; }

    /// <summary>Counts negotiations; handed to the HostActor.</summary>
    public NegotiationMetrics Negotiations { get; }

    /// <summary>Reads <c>vnet.metrics</c>; null when metrics are off.</summary>
    public static NodeObservability? Create(Config hocon) => MetricsSettings.Create(hocon) is { Enabled: true } s ? new NodeObservability(s) : null;

    /// <summary>
    /// Starts the listener; returns where it listens, for the start-up line. On failure (address off
    /// loopback without trust, port taken) the actor system is stopped and the error names the setting.
    /// </summary>
    public string Start(ActorSystem system, CommandContext context, IActorRef? discovery, ConsoleTls? tls)
    {
        var source = new ActorTopologySource(context, discovery, Settings.ReadTimeout);
        var metrics = new NodeMetrics(source, _registry);
        ObservabilityServer server;
        try
        {
            server = ObservabilityServer.StartAsync(Settings, metrics, source, tls).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "vnet-metrics-stop", async () =>
        {
            await server.DisposeAsync();
            return Akka.Done.Instance;
        });
        return $"metrics {server.Address}metrics{(Settings.TopologyPage ? $", topology page {server.Address}" : "")}";
    }
}
