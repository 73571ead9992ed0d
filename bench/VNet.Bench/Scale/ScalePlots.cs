using ScottPlot;
using VNet.Actors.Negotiation;

namespace VNet.Bench.Scale;

/// <summary>The plots of a scale run, as PNG files beside its report.</summary>
public static class ScalePlots
{
    /// <summary>The file names of a run's plots (null: nothing to draw).</summary>
    public sealed record Files(string Negotiation, string? Threads, string? Memory, string? Throughput, string? Convergence);

    /// <summary>Draws every plot the run has data for into <paramref name="directory"/>.</summary>
    public static Files Write(ScaleRun run, string directory, string stem)
    {
        string Save(Plot plot, string name)
        {
            var file = $"{stem}-{name}.png";
            plot.SavePng(Path.Combine(directory, file), 1100, 650);
            return file;
        }
        var negotiation = Save(Negotiation(run.Simulated), "negotiation");
        var loaded = run.Links.Where(l => l.Loaded).ToList();
        var threads = loaded.Count == 0 ? null : Save(ByModel(loaded, "threads of h1's vnetd vs links on h1 (after one net load)", "threads",
            ("all threads", l => l.After.Threads), ("forwarder threads", l => l.After.Forwarders)), "threads");
        var memory = loaded.Count == 0 ? null : Save(ByModel(loaded, "RSS and net load time vs links on h1", "MB / s",
            ("h1 vnetd RSS after, MB", l => l.After.RssMb), ("net load, s", l => l.LoadSeconds)), "memory");
        var measured = run.Concurrency.Where(c => c.Failure is null).ToList();
        var throughput = measured.Count == 0 ? null : Save(Throughput(measured), "throughput");
        var clusters = Clusters(run);
        var convergence = clusters.Count < 2 ? null : Save(Convergence(clusters), "convergence");
        return new Files(negotiation, threads, memory, throughput, convergence);
    }

    /// <summary>(hosts, seconds to one cluster) of every lab of the run.</summary>
    public static List<(int Hosts, double Seconds)> Clusters(ScaleRun run) =>
        [.. run.Links.Where(l => !double.IsNaN(l.ClusterSeconds)).Select(l => (l.Hosts, l.ClusterSeconds))
            .Concat(run.ManyHosts.Where(m => m.Up && !double.IsNaN(m.ClusterSeconds)).Select(m => (m.Hosts, m.ClusterSeconds)))
            .GroupBy(p => p.Item1).Select(g => (g.Key, g.Min(p => p.Item2))).OrderBy(p => p.Key)];

    private static Plot Negotiation(IReadOnlyList<SimulationPoint> simulated)
    {
        var plot = new Plot();
        foreach (var rule in new[] { ProtocolNumberRule.PerPeer, ProtocolNumberRule.PerHost })
        {
            var points = simulated.Where(s => s.Rule == rule).ToList();
            var made = plot.Add.Scatter(points.Select(p => (double)p.Hosts).ToArray(), points.Select(p => 100.0 * p.Summary.Agreed / p.Summary.Requests).ToArray());
            made.LegendText = $"{rule.Name()}: links made %";
            var nok = plot.Add.Scatter(points.Select(p => (double)p.Hosts).ToArray(), points.Select(p => 100 * p.Summary.NokRate).ToArray());
            nok.LegendText = $"{rule.Name()}: NOK rate %";
            nok.LinePattern = LinePattern.Dashed;
        }
        plot.Title("Negotiation simulation: 20 requests per host, 5 hubs with 10 % of the requests");
        plot.XLabel("hosts");
        plot.YLabel("%");
        plot.ShowLegend();
        return plot;
    }

    private static Plot ByModel(List<LinksPoint> points, string title, string unit, params (string Name, Func<LinksPoint, double> Value)[] series)
    {
        var plot = new Plot();
        foreach (var model in new[] { ForwarderModel.Pool, ForwarderModel.PerLink })
        {
            var mine = points.Where(p => p.Model == model).OrderBy(p => p.Links).ToList();
            if (mine.Count == 0) continue;
            for (var i = 0; i < series.Length; i++)
            {
                var line = plot.Add.Scatter(mine.Select(p => (double)p.Links).ToArray(), mine.Select(series[i].Value).ToArray());
                line.LegendText = $"{series[i].Name}, forwarders {model.Name()}";
                if (model == ForwarderModel.PerLink) line.LinePattern = LinePattern.Dashed;
            }
        }
        plot.Title(title);
        plot.XLabel("links on h1");
        plot.YLabel(unit);
        plot.ShowLegend();
        return plot;
    }

    private static Plot Throughput(List<ConcurrencyPoint> points)
    {
        var plot = new Plot();
        foreach (var model in new[] { ForwarderModel.Pool, ForwarderModel.PerLink })
        {
            var mine = points.Where(p => p.Model == model).OrderBy(p => p.Links).ToList();
            if (mine.Count == 0) continue;
            var line = plot.Add.Scatter(mine.Select(p => (double)p.Links).ToArray(), mine.Select(p => p.SumMbps).ToArray());
            line.LegendText = $"forwarders {model.Name()}";
        }
        plot.Title("Aggregate TCP (iperf3, sum of receiver rates) over concurrent raw-p2p links, h1 -> h2");
        plot.XLabel("concurrent links");
        plot.YLabel("Mbit/s");
        plot.ShowLegend();
        return plot;
    }

    private static Plot Convergence(List<(int Hosts, double Seconds)> clusters)
    {
        var plot = new Plot();
        var line = plot.Add.Scatter(clusters.Select(c => (double)c.Hosts).ToArray(), clusters.Select(c => c.Seconds).ToArray());
        line.LegendText = "vnetds started -> one cluster";
        plot.Title("Time to one cluster vs hosts (generated labs)");
        plot.XLabel("hosts");
        plot.YLabel("s");
        plot.ShowLegend();
        return plot;
    }
}
