using System.Net;
using System.Security.Cryptography.X509Certificates;
using VNet.Actors.Commands;
using VNet.Host.Observability;
using VNet.Host.Trust;

namespace VNet.Host.Tests.Observability;

/// <summary>Off loopback the listener is HTTPS and only a certificate of the cluster's authority gets in.</summary>
public sealed class MetricsTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vnet-metrics-tls-").FullName;
    private readonly string _other = Directory.CreateTempSubdirectory("vnet-metrics-tls-other-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_other, recursive: true);
    }

    private static X509Certificate2 Load(string crt) => ClusterPki.LoadCertificate(crt, Path.ChangeExtension(crt, ".key"));

    [Fact]
    public async Task Off_loopback_a_client_needs_a_certificate_of_the_clusters_authority()
    {
        ClusterPki.Init(_dir, "vnet");
        ClusterPki.Init(_other, "other");
        using var ca = ClusterPki.LoadCa(Path.Combine(_dir, ClusterPki.CaCertificateFile));
        using var node = Load(ClusterPki.Issue(_dir, "h1", [IPAddress.Loopback]));
        using var operatorCert = Load(ClusterPki.Issue(_dir, "prometheus", []));
        using var stranger = Load(ClusterPki.Issue(_other, "prometheus", []));
        var tls = new ConsoleTls(node, c => ClusterPki.IsIssuedBy(c, ca, out var why) ? null : why);
        // Bound to every address (off loopback, so TLS); the test connects through loopback only.
        var settings = new MetricsSettings(true, IPAddress.Any, 0, true, TimeSpan.FromSeconds(1));
        var source = new FakeTopologySource();
        await using var server = await ObservabilityServer.StartAsync(settings, new NodeMetrics(source), source, tls);
        Assert.Equal("https", server.Address.Scheme);
        var url = new Uri($"https://127.0.0.1:{server.Address.Port}/metrics");

        Assert.Contains("vnet_process_threads", await Get(url, operatorCert));
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(url, stranger));
        await Assert.ThrowsAsync<HttpRequestException>(() => Get(url, null));

        async Task<string> Get(Uri u, X509Certificate2? client)
        {
            using var handler = new HttpClientHandler
            {
                ClientCertificateOptions = ClientCertificateOption.Manual,
                ServerCertificateCustomValidationCallback = (_, cert, _, _) => ClusterPki.IsIssuedBy(cert, ca, out _),
            };
            if (client is not null) handler.ClientCertificates.Add(client);
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            return await http.GetStringAsync(u);
        }
    }
}
