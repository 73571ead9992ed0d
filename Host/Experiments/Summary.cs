using System.Globalization;
using System.Text;

namespace VNet.Host.Experiments;

/// <summary>
/// <c>summary.md</c>: the largest step lateness, each run's steps, and for each numeric column of
/// each series its mean, minimum and maximum in every phase between two steps.
/// </summary>
public static class Summary
{
    /// <summary>The summary of <paramref name="result"/> as Markdown.</summary>
    public static string Write(ExperimentResult result)
    {
        var sb = new StringBuilder();
        var (version, commit) = ResultsWriter.Version();
        sb.AppendLine($"# {result.Experiment.Name}").AppendLine();
        sb.AppendLine($"VNet {version}{(commit is null ? "" : $" ({commit[..Math.Min(12, commit.Length)]})")}, lab {result.Lab.Name} ({string.Join(", ", result.Lab.Hosts.Select(h => h.Name))}), started {result.Started:yyyy-MM-dd HH:mm:ss} UTC, {result.Runs.Length} run(s){(result.Interrupted ? ", **interrupted** (partial results)" : "")}.").AppendLine();
        var late = result.Runs.SelectMany(r => r.Steps).OrderByDescending(s => s.LatenessMs).FirstOrDefault();
        sb.AppendLine(late is null ? "No steps." : $"Largest step lateness: **{late.LatenessMs:0.0} ms** (`{late.Step}`, run {late.Run + 1}, due at {late.ScheduledSeconds:0.###} s).").AppendLine();
        foreach (var run in result.Runs)
        {
            if (result.Runs.Length > 1) sb.AppendLine($"## Run {run.Run.Index + 1}: {run.Run.Label}").AppendLine();
            if (run.Steps.Length > 0)
            {
                sb.AppendLine("| step | due (s) | ran (s) | late (ms) | result |").AppendLine("|---|---:|---:|---:|---|");
                foreach (var s in run.Steps)
                    sb.AppendLine($"| `{s.Step}` | {s.ScheduledSeconds:0.000} | {s.ActualSeconds:0.000} | {s.LatenessMs:0.0} | {(s.Ok ? "ok" : "FAILED: " + Cell(s.Reply))} |");
                sb.AppendLine();
            }
            foreach (var p in run.Problems) sb.AppendLine($"- problem: {p}");
            if (run.Problems.Length > 0) sb.AppendLine();
            var bounds = Phases(run);
            foreach (var series in run.Series)
            {
                var rows = series.Rows;
                var numeric = series.Columns.Where(c => c is not ("seq" or "host" or "direction" or "status" or "frames" or "bytes")).ToList();
                if (rows.Count == 0) { sb.AppendLine($"### {series.Name}").AppendLine().AppendLine("no samples").AppendLine(); continue; }
                sb.AppendLine($"### {series.Name} ({rows.Count} rows, `{series.Name}.csv`)").AppendLine();
                var groups = series.Columns.Contains("host") ? rows.GroupBy(r => $"{r[1 + series.Columns.IndexOf("host")]} {r[1 + series.Columns.IndexOf("direction")]}").ToList() : rows.GroupBy(_ => "").ToList();
                sb.AppendLine($"| phase |{(groups.Count > 1 ? " end |" : "")} column | mean | min | max | n |").AppendLine($"|---|{(groups.Count > 1 ? "---|" : "")}---|---:|---:|---:|---:|");
                foreach (var (from, to, name) in bounds)
                    foreach (var g in groups)
                        foreach (var column in numeric)
                        {
                            var index = 1 + series.Columns.IndexOf(column);
                            var values = g.Where(r => T(r) >= from && T(r) < to && r[index].Length > 0).Select(r => double.Parse(r[index], CultureInfo.InvariantCulture)).ToList();
                            if (values.Count == 0) continue;
                            sb.AppendLine($"| {name} |{(groups.Count > 1 ? $" {g.Key} |" : "")} {column} | {values.Average():0.###} | {values.Min():0.###} | {values.Max():0.###} | {values.Count} |");
                        }
                sb.AppendLine();
            }
        }
        return sb.ToString();
    }

    /// <summary>The phases of a run: from the start to the first step, between steps, and after the last (by the time each step ran).</summary>
    public static List<(double From, double To, string Name)> Phases(RunRecord run)
    {
        var times = run.Steps.Select(s => s.ActualSeconds).Where(t => t > 0.05).Distinct().Order().ToList();
        var edges = new List<double> { 0 };
        edges.AddRange(times);
        edges.Add(double.MaxValue);
        var phases = new List<(double, double, string)>();
        for (var i = 0; i + 1 < edges.Count; i++)
            phases.Add((edges[i], edges[i + 1], edges[i + 1] == double.MaxValue ? $"{edges[i]:0.0} s-end" : $"{edges[i]:0.0}-{edges[i + 1]:0.0} s"));
        return phases;
    }

    private static double T(string[] row) => double.Parse(row[0], CultureInfo.InvariantCulture);

    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");
}
