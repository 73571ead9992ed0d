using System.Net;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using VNet.Actors.Commands;

namespace VNet.Host.Observability;

/// <summary>
/// The node's HTTP listener (Kestrel): <c>/metrics</c> in the Prometheus text format, and the live
/// topology page (<c>/</c>, its scripts, and <c>/api/topology</c>). Plain HTTP on loopback; on any
/// other address HTTPS with a client certificate of the cluster's authority, the console's rule.
/// </summary>
public sealed class ObservabilityServer : IAsyncDisposable
{
    /// <summary>The JSON of <c>/api/topology</c> (camelCase, as the console's JSON).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private readonly WebApplication _app;

    private ObservabilityServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it listens (the port filled in when 0 was asked).</summary>
    public Uri Address { get; }

    /// <summary>
    /// Starts listening. Throws <see cref="InvalidOperationException"/> with a message naming the
    /// setting when the address is off loopback and there is no TLS, or when the port cannot be bound.
    /// </summary>
    public static async Task<ObservabilityServer> StartAsync(MetricsSettings settings, NodeMetrics metrics, ITopologySource source, ConsoleTls? tls)
    {
        if (settings.IsRemote && tls is null)
            throw new InvalidOperationException($"vnet.metrics.bind = {settings.Bind} is off loopback, which needs TLS with client certificates, and vnet.trust.mode is off: bind it to 127.0.0.1, or turn trust on (docs/metrics.md)");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(settings.Bind, settings.Port, listen =>
            {
                if (!settings.IsRemote) return;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = tls!.Certificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CheckCertificateRevocation = false,
                    // Only the cluster's own authority counts, not the machine's CA store.
                    ClientCertificateValidation = (certificate, _, _) => tls.IsClientTrusted(certificate as X509Certificate2) is null,
                });
            });
        });
        var app = builder.Build();
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(http.Response.Body, http.RequestAborted);
        });
        if (settings.TopologyPage)
        {
            app.MapGet("/", () => Resource("index.html", "text/html; charset=utf-8"));
            app.MapGet("/topology.js", () => Resource("topology.js", "text/javascript; charset=utf-8"));
            app.MapGet("/cytoscape.min.js", () => Resource("cytoscape.min.js", "text/javascript; charset=utf-8"));
            // Written here, not returned: a lambda of HttpContext alone binds as a RequestDelegate, whose result is dropped.
            app.MapGet("/api/topology", async (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "no-store";
                await http.Response.WriteAsJsonAsync(await source.TopologyAsync(http.RequestAborted), Json, http.RequestAborted);
            });
        }
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"vnet.metrics: cannot listen on {settings.Bind}:{settings.Port}: {e.Message} (set vnet.metrics.port, or vnet.metrics.enabled = off)");
        }
        var bound = app.Urls.Select(u => new Uri(u)).First();
        var scheme = settings.IsRemote ? "https" : "http";
        return new ObservabilityServer(app, new Uri($"{scheme}://{new IPEndPoint(settings.Bind, bound.Port)}/"));
    }

    private static IResult Resource(string name, string contentType)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("VNet.Web." + name)
            ?? throw new InvalidOperationException($"the page's {name} is not embedded (broken build?)");
        return Results.Stream(stream, contentType);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
