using System.Globalization;
using ScottPlot;
using VNet.Messages;

namespace VNet.Host.Experiments;

/// <summary>
/// The PNG plots of a results directory, with ScottPlot: one time series per series file with a
/// vertical marker at each step (labelled with the step), and one plot per sweep plot of the file:
/// mean and standard deviation (error bars) over the runs with the same x (and line) value.
/// </summary>
public static class ExperimentPlots
{
    private const int Width = 1100;
    private const int Height = 550;

    /// <summary>Writes <c>NAME.png</c> beside each series of <paramref name="run"/>.</summary>
    public static void TimeSeries(RunRecord run)
    {
        foreach (var series in run.Series)
        {
            if (series.Rows.Count == 0) continue;
            var plot = new Plot();
            var (column, label) = series.Columns switch
            {
                var c when c.Contains("rtt_ms") => ("rtt_ms", "round trip (ms); x = lost"),
                var c when c.Contains("hosts_reporting") => ("hosts_reporting", "hosts reporting the link"),
                var c when c.Contains("host") => ("mbps", "Mbit/s per host and direction"),
                _ => ("mbps", series.Columns.Contains("loss_percent") ? "received Mbit/s" : "received Mbit/s (TCP)"),
            };
            if (series.Columns.Contains("host"))
            {
                var hostIndex = 1 + series.Columns.IndexOf("host");
                var dirIndex = 1 + series.Columns.IndexOf("direction");
                var valueIndex = 1 + series.Columns.IndexOf(column);
                var colorIndex = 0;
                foreach (var g in series.Rows.Where(r => r[valueIndex].Length > 0).GroupBy(r => $"{r[hostIndex]} {r[dirIndex]}"))
                {
                    var color = plot.Add.Palette.GetColor(colorIndex++);
                    var first = true;
                    foreach (var segment in Segments([.. g]))
                    {
                        var line = plot.Add.ScatterLine(segment.Select(T).ToArray(), segment.Select(r => double.Parse(r[valueIndex], CultureInfo.InvariantCulture)).ToArray(), color);
                        if (first) line.LegendText = g.Key;
                        first = false;
                    }
                }
            }
            else
            {
                var (t, v) = series.Numbers(column);
                if (column == "hosts_reporting")
                {
                    var steps = plot.Add.Scatter(t, v);
                    steps.ConnectStyle = ConnectStyle.StepHorizontal;
                }
                else if (column == "rtt_ms")
                {
                    var points = plot.Add.ScatterPoints(t, v);
                    points.MarkerSize = 4;
                    var (lt, lost) = series.Numbers("lost");
                    var lostT = lt.Where((_, i) => lost[i] > 0).ToArray();
                    if (lostT.Length > 0)
                    {
                        var marks = plot.Add.ScatterPoints(lostT, lostT.Select(_ => 0.0).ToArray(), Colors.Red);
                        marks.MarkerShape = MarkerShape.Eks;
                        marks.MarkerSize = 7;
                        marks.LegendText = $"lost ({lostT.Length})";
                    }
                }
                else plot.Add.ScatterLine(t, v);
            }
            // Steps close together would overlap as labels: the marker carries the step's number, the legend its text.
            for (var i = 0; i < run.Steps.Length; i++)
            {
                var step = run.Steps[i];
                var marker = plot.Add.VerticalLine(step.ActualSeconds, 1, Colors.Gray);
                marker.LinePattern = LinePattern.Dashed;
                marker.LabelText = (i + 1).ToString(CultureInfo.InvariantCulture);
                marker.LabelOppositeAxis = true;
                marker.LabelFontSize = 11;
                marker.LegendText = $"{i + 1}: {(step.Step.Length > 45 ? step.Step[..45] + "…" : step.Step)} ({step.ActualSeconds:0.0} s)";
            }
            if (run.Steps.Length > 0) plot.ShowLegend(Alignment.LowerRight);
            plot.Title($"{series.Name} ({run.Run.Label})");
            if (series.Columns.Contains("host") || series.Columns.Contains("rtt_ms")) plot.ShowLegend(Alignment.LowerRight);
            plot.XLabel("seconds since the start of the run (dashed: steps)");
            plot.YLabel(label);
            plot.Axes.SetLimitsX(0, Math.Max(run.LengthSeconds, series.Rows.Max(T)));
            plot.SavePng(Path.Combine(run.Directory, series.Name + ".png"), Width, Height);
        }
    }

    /// <summary>Writes <c>sweep-MEASUREMENT-VALUE.png</c> for each sweep plot (or the default ones) into the results directory.</summary>
    public static void Sweeps(ExperimentResult result)
    {
        foreach (var spec in SweepSpecs(result.Experiment))
        {
            var plot = new Plot();
            var xValues = result.Experiment.Parameters.First(p => p.Name == spec.X).Values;
            // A rate axis is numeric (Mbit/s); anything else (link kinds) is categorical, in the file's order.
            var numeric = xValues.All(v => Units.TryParseBitRate(v, out _));
            double X(string v, int i) => numeric && Units.TryParseBitRate(v, out var bits) ? bits / 1e6 : i;
            var lineValues = spec.Lines is null ? [""] : result.Experiment.Parameters.First(p => p.Name == spec.Lines).Values;
            var offset = 0;
            foreach (var lineValue in lineValues)
            {
                var xs = new List<double>();
                var means = new List<double>();
                var errors = new List<double>();
                for (var i = 0; i < xValues.Length; i++)
                {
                    var samples = result.Runs.Where(r => r.Run.Bindings[spec.X] == xValues[i] && (spec.Lines is null || r.Run.Bindings[spec.Lines] == lineValue))
                        .Select(r => r.Values.TryGetValue((spec.Measurement, spec.Value), out var v) ? v : double.NaN).Where(v => !double.IsNaN(v)).ToList();
                    if (samples.Count == 0) continue;
                    var mean = samples.Average();
                    xs.Add(X(xValues[i], i) + (numeric ? 0 : 0.06 * (offset - (lineValues.Length - 1) / 2.0)));
                    means.Add(mean);
                    errors.Add(samples.Count > 1 ? Math.Sqrt(samples.Sum(s => (s - mean) * (s - mean)) / (samples.Count - 1)) : 0);
                }
                offset++;
                if (xs.Count == 0) continue;
                var scatter = plot.Add.Scatter(xs.ToArray(), means.ToArray());
                if (!numeric) scatter.LineWidth = 0;
                scatter.MarkerSize = 8;
                scatter.LegendText = spec.Lines is null ? spec.Value : $"{spec.Lines}={lineValue}";
                var bars = plot.Add.ErrorBar(xs.ToArray(), means.ToArray(), errors.ToArray());
                bars.Color = scatter.Color;
            }
            if (!numeric) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. xValues.Select((v, i) => new Tick(i, v))]);
            if (spec.Lines is not null) plot.ShowLegend(Alignment.UpperRight);
            var unit = RunValues.Unit(spec.Value);
            plot.Title($"{result.Experiment.Name}: {spec.Measurement} {spec.Value} vs {spec.X} (mean ± sd over {result.Experiment.Repetitions} repetition(s) and the other parameters)");
            plot.XLabel(numeric ? $"{spec.X} (Mbit/s)" : spec.X);
            plot.YLabel($"{spec.Value}{(unit.Length > 0 ? $" ({unit})" : "")}");
            plot.Axes.Margins(0.1, 0.1);
            plot.SavePng(Path.Combine(result.OutDirectory, $"sweep-{spec.Measurement}-{spec.Value}.png"), Width, Height);
        }
    }

    /// <summary>The sweep plots of a file, or when it names none, one per measured value against the first parameter (lines by the second).</summary>
    public static IEnumerable<SweepPlot> SweepSpecs(ExperimentDefinition experiment)
    {
        if (experiment.Plots.Length > 0 || experiment.Parameters.IsEmpty || experiment.Runs.IsEmpty) return experiment.Plots;
        var x = experiment.Parameters[0].Name;
        var lines = experiment.Parameters.Length > 1 ? experiment.Parameters[1].Name : null;
        return experiment.Runs[0].Measurements.SelectMany(m => RunValues.Of(m).Select(v => new SweepPlot(m.Name, v, x, lines, m.Spot)));
    }

    /// <summary>Splits rows where a sample is missing (a gap of more than twice the usual spacing), so a line does not bridge an outage.</summary>
    private static List<List<string[]>> Segments(List<string[]> rows)
    {
        var gaps = rows.Zip(rows.Skip(1), (a, b) => T(b) - T(a)).Order().ToList();
        var usual = gaps.Count == 0 ? 0 : gaps[gaps.Count / 2];
        var segments = new List<List<string[]>> { new() };
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0 && T(rows[i]) - T(rows[i - 1]) > 2 * usual) segments.Add([]);
            segments[^1].Add(rows[i]);
        }
        return segments;
    }

    private static double T(string[] row) => double.Parse(row[0], CultureInfo.InvariantCulture);
}
