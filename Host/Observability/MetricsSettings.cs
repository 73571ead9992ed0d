using System.Net;
using Akka.Configuration;

namespace VNet.Host.Observability;

/// <summary>
/// Where a node serves <c>/metrics</c> and its topology page (the <c>vnet.metrics</c> section of
/// hocon/vnetd.hocon, which holds every default).
/// </summary>
/// <param name="Enabled">Serve at all.</param>
/// <param name="Bind">The address listened on; loopback unless told otherwise.</param>
/// <param name="Port">The TCP port (0 = any free one).</param>
/// <param name="TopologyPage">Serve the live topology page (<c>/</c>, <c>/api/topology</c>) beside <c>/metrics</c>.</param>
/// <param name="ReadTimeout">How long one scrape waits for an actor's answer before leaving its metrics out.</param>
public sealed record MetricsSettings(bool Enabled, IPAddress Bind, int Port, bool TopologyPage, TimeSpan ReadTimeout)
{
    /// <summary>True when the listener is reachable from other machines (then it needs TLS).</summary>
    public bool IsRemote => !IPAddress.IsLoopback(Bind);

    /// <summary>Reads <c>vnet.metrics</c>; errors name the key.</summary>
    public static MetricsSettings Create(Config hocon)
    {
        var section = hocon.GetConfig("vnet.metrics") ?? throw new ArgumentException("vnet.metrics: the section is missing (hocon/vnetd.hocon holds its defaults)");
        var bind = section.GetString("bind");
        if (!IPAddress.TryParse(bind, out var address)) throw new ArgumentException($"vnet.metrics.bind '{bind}' is not an IP address");
        var port = section.GetInt("port");
        if (port is < 0 or > 65535) throw new ArgumentException($"vnet.metrics.port {port} is not a TCP port (0-65535)");
        var timeout = section.GetTimeSpan("read-timeout");
        if (timeout <= TimeSpan.Zero) throw new ArgumentException($"vnet.metrics.read-timeout {timeout} must be positive");
        return new MetricsSettings(section.GetBoolean("enabled"), address, port, section.GetBoolean("topology-page"), timeout);
    }
}
