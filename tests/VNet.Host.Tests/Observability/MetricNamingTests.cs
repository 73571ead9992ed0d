using System.Collections.Immutable;
using System.Text.RegularExpressions;
using VNet.Actors.Observability;
using VNet.Capture.Forwarding;
using VNet.Host.Observability;
using VNet.Messages;

namespace VNet.Host.Tests.Observability;

public sealed partial class MetricNamingTests
{
    /// <summary>Every family a node can serve: a link, a desired link, discovery, and a negotiation of each kind.</summary>
    internal static async Task<ImmutableArray<PrometheusFamily>> EveryFamilyAsync()
    {
        var source = new FakeTopologySource
        {
            Table = new("h1", [FakeTopologySource.Row(FakeTopologySource.Link(), new LinkCounters())]),
            Desired = [new(FakeTopologySource.Link(), LinkStatus.Established, null)],
        };
        var metrics = new NodeMetrics(source);
        new NegotiationMetrics(Prometheus.Metrics.WithCustomRegistry(metrics.Registry)).Ended(true, NegotiationOutcome.Agreed, 1, TimeSpan.FromMilliseconds(5));
        return await FakeTopologySource.ScrapeAsync(metrics);
    }

    [Fact]
    public async Task Every_metric_is_named_vnet_with_help_and_a_type_and_counters_end_in_total()
    {
        var families = await EveryFamilyAsync();
        Assert.True(families.Length >= 25, $"{families.Length} families");
        foreach (var f in families)
        {
            Assert.Matches(SnakeName(), f.Name);
            Assert.StartsWith("vnet_", f.Name, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(f.Help), $"{f.Name} has no help");
            if (f.Type == "counter") Assert.EndsWith("_total", f.Name, StringComparison.Ordinal);
            else Assert.False(f.Name.EndsWith("_total", StringComparison.Ordinal), $"{f.Name} is a {f.Type} named like a counter");
            foreach (var label in f.Samples.SelectMany(s => s.Labels.Keys)) Assert.Matches(SnakeName(), label);
        }
    }

    [Fact]
    public async Task Link_metrics_carry_link_kind_host_and_direction()
    {
        foreach (var f in (await EveryFamilyAsync()).Where(f => f.Name.StartsWith("vnet_link_", StringComparison.Ordinal) && f.Name is not ("vnet_link_state" or "vnet_link_vm_mtu_bytes")))
            foreach (var s in f.Samples)
                Assert.True(s["link"] == "l1" && s["kind"] == "raw-p2p" && s["host"] == "h1" && s["direction"] is "vm-to-net" or "net-to-vm", $"{s.Name} {string.Join(",", s.Labels)}");
    }

    [Fact]
    public void The_parser_refuses_a_sample_without_type_and_names_the_line()
    {
        var e = Assert.Throws<FormatException>(() => PrometheusText.Parse("# HELP vnet_x a thing\nvnet_x 1\n"));
        Assert.Contains("line 2", e.Message);
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# HELP vnet_x a\n# TYPE vnet_x gauge\nvnet_x{a=\"1\" 2\n"));
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# HELP vnet_x a\n# TYPE vnet_x gauge\nvnet_x one\n"));
        var ok = PrometheusText.Parse("# HELP vnet_x a\n# TYPE vnet_x gauge\nvnet_x{a=\"q\\\"x\"} 2.5\n");
        Assert.Equal("q\"x", ok.Single().Samples.Single()["a"]);
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeName();
}
