using System.Globalization;
using ScottPlot;

namespace VNet.Bench.Results;

/// <summary>The PNG plots of a run, by file name (beside the report).</summary>
public sealed record PlotFiles(string Tcp, string UdpAchieved, string UdpLoss);

/// <summary>
/// The paper's figures from a run, with ScottPlot: TCP throughput per contender (figure 7, bars),
/// UDP rate achieved vs offered (figure 8) and UDP loss vs offered (figure 9), one line per contender.
/// </summary>
public static class Plots
{
    private const int Width = 1100;
    private const int Height = 650;

    /// <summary>Writes the three PNGs named <paramref name="stem"/>-tcp.png etc. into <paramref name="directory"/>.</summary>
    public static PlotFiles Write(BenchResult run, string directory, string stem)
    {
        var files = new PlotFiles($"{stem}-tcp.png", $"{stem}-udp-achieved.png", $"{stem}-udp-loss.png");
        var measured = run.Contenders.Select(r => new Summary(r)).ToList();
        var all = measured.Where(s => s.Result.Available).ToList();
        Tcp(run, measured).SavePng(Path.Combine(directory, files.Tcp), Width, Height);
        Udp(run, all, s => s.UdpMbps, "UDP rate achieved vs offered (figure 8)", "received Mbit/s", diagonal: true).SavePng(Path.Combine(directory, files.UdpAchieved), Width, Height);
        Udp(run, all, s => s.UdpLoss, "UDP loss vs offered (figure 9)", "loss %", diagonal: false).SavePng(Path.Combine(directory, files.UdpLoss), Width, Height);
        return files;
    }

    private static Plot Tcp(BenchResult run, List<Summary> all)
    {
        var plot = new Plot();
        var substrate = all.FirstOrDefault(s => s.Name == "substrate");
        // The substrate moves 64 KB GSO segments and would flatten every tunnel's bar: it is named in the title instead.
        var bars = all.Where(s => s.Name != "substrate").ToList();
        var ticks = new List<Tick>();
        for (var i = 0; i < bars.Count; i++)
        {
            var s = bars[i];
            var position = bars.Count - 1 - i;
            ticks.Add(new Tick(position, s.Name));
            if (double.IsNaN(s.TcpMbps))
            {
                var text = plot.Add.Text(s.Result.Available ? "  no TCP result" : "  not available", 0, position);
                text.LabelFontSize = 13;
                text.LabelAlignment = Alignment.MiddleLeft;
                continue;
            }
            plot.Add.Bar(new Bar
            {
                Position = position,
                Value = s.TcpMbps,
                FillColor = IsVariant(s) ? ColorOf(s).WithAlpha(0.5) : ColorOf(s),
                Label = s.TcpMbps.ToString("0", CultureInfo.InvariantCulture),
                Orientation = Orientation.Horizontal,
            });
            if (s.TcpRuns.Count > 1)
            {
                var dots = plot.Add.ScatterPoints(s.TcpRuns.ToArray(), s.TcpRuns.Select(_ => (double)position).ToArray(), Colors.Black);
                dots.MarkerSize = 5;
            }
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(left: 0, right: 0.15, bottom: 0.05, top: 0.05);
        var sub = substrate is null ? "" : $"; substrate h1→h2: {substrate.TcpMbps:0} Mbit/s";
        plot.Title($"TCP throughput VM→VM, median of {run.Config.TcpRuns} × {run.Config.TcpSeconds:0} s (figure 7){sub}");
        plot.XLabel($"Mbit/s (VM MTU {run.Config.VmMtu}, offloads {(run.Config.Offloads ? "on" : "off")}; dots: single runs)");
        return plot;
    }

    private static Plot Udp(BenchResult run, List<Summary> all, Func<Summary, Func<long, double>> metric, string title, string yLabel, bool diagonal)
    {
        var plot = new Plot();
        var offered = run.Config.UdpRates.Select(r => r / 1e6).ToArray();
        if (diagonal)
        {
            var ideal = plot.Add.ScatterLine(offered, offered, Colors.Gray);
            ideal.LinePattern = LinePattern.Dotted;
            ideal.LegendText = "offered";
        }
        foreach (var s in all)
        {
            var values = run.Config.UdpRates.Select(metric(s)).ToArray();
            var points = offered.Zip(values).Where(p => !double.IsNaN(p.Second)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray(), ColorOf(s));
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            if (IsVariant(s)) line.LinePattern = LinePattern.Dashed;
            if (s.Name == "substrate") line.LinePattern = LinePattern.Dotted;
        }
        plot.Title($"{title}, {run.Config.VmMtu - 28}-byte datagrams");
        plot.XLabel("offered Mbit/s");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.SetLimitsX(0, offered.DefaultIfEmpty(1000).Max() * 1.05);
        var top = all.SelectMany(s => run.Config.UdpRates.Select(metric(s))).Where(v => !double.IsNaN(v)).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, Math.Max(diagonal ? offered.DefaultIfEmpty(1).Max() : 1, top) * 1.08);
        return plot;
    }

    /// <summary>A variant of another row (compressed, unauthenticated or encrypted VNet; a rival with crypto): its colour, dashed or lighter.</summary>
    private static bool IsVariant(Summary s) => s.Name.Contains('+') || s.Name is "tinc-crypto" or "openvpn-gcm";

    /// <summary>One colour per contender: VNet kinds in blues/purples (variants share their kind's colour, dashed), rivals in warm colours (their crypto rows too).</summary>
    private static Color ColorOf(Summary s)
    {
        var name = s.Name.Split('+')[0] switch { "tinc-crypto" => "tinc", "openvpn-gcm" => "openvpn", var n => n };
        return name switch
        {
            "substrate" => Colors.Black,
            "vxlan" => new Color(44, 160, 44),
            "tinc" => new Color(255, 127, 14),
            "openvpn" => new Color(214, 39, 40),
            "raw-p2p" => new Color(31, 119, 180),
            "udp-p2p" => new Color(23, 190, 207),
            "raw-multipoint" => new Color(148, 103, 189),
            "udp-multipoint" => new Color(140, 86, 75),
            _ => new Color(127, 127, 127),
        };
    }
}
