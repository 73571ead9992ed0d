using Akka.Configuration;
using VNet.Host.Observability;

namespace VNet.Host.Tests.Observability;

public sealed class MetricsSettingsTests
{
    private static Config Hocon(string overrides) =>
        ConfigurationFactory.ParseString(overrides).WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon"))));

    [Fact]
    public void Defaults_are_loopback_port_9464_with_the_page()
    {
        var s = MetricsSettings.Create(Hocon(""));
        Assert.True(s.Enabled);
        Assert.Equal("127.0.0.1", s.Bind.ToString());
        Assert.Equal(9464, s.Port);
        Assert.True(s.TopologyPage);
        Assert.False(s.IsRemote);
        Assert.Equal(ObservabilityCli.DefaultNode.Port, s.Port);
    }

    [Fact]
    public void A_bad_bind_or_port_is_an_error_naming_the_key()
    {
        Assert.Contains("vnet.metrics.bind", Assert.Throws<ArgumentException>(() => MetricsSettings.Create(Hocon("vnet.metrics.bind = \"here\""))).Message);
        Assert.Contains("vnet.metrics.port", Assert.Throws<ArgumentException>(() => MetricsSettings.Create(Hocon("vnet.metrics.port = 70000"))).Message);
    }

    [Fact]
    public async Task Off_loopback_without_trust_the_listener_refuses_to_start()
    {
        var settings = MetricsSettings.Create(Hocon("vnet.metrics { bind = \"0.0.0.0\", port = 0 }"));
        var source = new FakeTopologySource();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ObservabilityServer.StartAsync(settings, new NodeMetrics(source), source, tls: null));
        Assert.Contains("vnet.metrics.bind", e.Message);
        Assert.Contains("TLS", e.Message);
    }

    [Fact]
    public async Task On_loopback_it_serves_metrics_and_the_page_with_its_vendored_scripts()
    {
        var settings = MetricsSettings.Create(Hocon("vnet.metrics.port = 0"));
        var source = new FakeTopologySource();
        await using var server = await ObservabilityServer.StartAsync(settings, new NodeMetrics(source), source, tls: null);
        using var http = new HttpClient();
        var metrics = await http.GetAsync(new Uri(server.Address, "metrics"));
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        Assert.NotEmpty(PrometheusText.Parse(await metrics.Content.ReadAsStringAsync()));
        var page = await http.GetStringAsync(server.Address);
        Assert.Contains("cytoscape.min.js", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", ""), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Contains("cytoscape", await http.GetStringAsync(new Uri(server.Address, "cytoscape.min.js")));
        Assert.Contains("\"node\":\"h1\"", await http.GetStringAsync(new Uri(server.Address, "api/topology")));
    }
}
