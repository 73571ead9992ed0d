using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace VNet.Host.Experiments;

/// <summary>
/// Writes an experiment's results directory: one CSV per series, the experiment file as run,
/// <c>manifest.json</c>, <c>summary.md</c> and the PNG plots (docs/experiments.md describes each).
/// </summary>
public static class ResultsWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes everything for <paramref name="result"/>.</summary>
    public static void Write(ExperimentResult result)
    {
        var root = result.OutDirectory;
        // An experiment built in code has no file to keep; its manifest lists its steps.
        if (result.Experiment.Text.Length > 0) File.WriteAllText(Path.Combine(root, "experiment.xml"), result.Experiment.Text);
        foreach (var run in result.Runs)
        {
            foreach (var s in run.Series) File.WriteAllText(Path.Combine(run.Directory, s.Name + ".csv"), s.ToCsv());
            ExperimentPlots.TimeSeries(run);
        }
        if (result.Experiment.Parameters.Length > 0 || result.Experiment.Repetitions > 1)
        {
            File.WriteAllText(Path.Combine(root, "runs.csv"), RunsCsv(result));
            ExperimentPlots.Sweeps(result);
        }
        File.WriteAllText(Path.Combine(root, "manifest.json"), Manifest(result));
        File.WriteAllText(Path.Combine(root, "summary.md"), Summary.Write(result));
    }

    /// <summary>The VNet version and the commit it was built from (from the assembly's informational version).</summary>
    public static (string Version, string? Commit) Version()
    {
        var info = typeof(ResultsWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = info.IndexOf('+');
        return plus < 0 ? (info, null) : (info[..plus], info[(plus + 1)..]);
    }

    private static string Manifest(ExperimentResult result)
    {
        var (version, commit) = Version();
        var manifest = new
        {
            Experiment = result.Experiment.Name,
            File = Path.GetFullPath(result.Experiment.File),
            VnetVersion = version,
            Commit = commit,
            Started = result.Started,
            Interrupted = result.Interrupted,
            Lab = new { result.Lab.Id, result.Lab.Name, result.Lab.File },
            Hosts = result.Lab.Hosts.Select(h => new { h.Name, h.Address, h.Netns }),
            LargestLatenessMs = Math.Round(result.LargestLatenessMs, 3),
            Runs = result.Runs.Select(r => new
            {
                Index = r.Run.Index + 1,
                r.Run.Label,
                Parameters = r.Run.Bindings,
                Repetition = r.Run.Repetition + 1,
                Directory = Path.GetRelativePath(result.OutDirectory, r.Directory),
                r.LengthSeconds,
                Steps = r.Steps.Select(s => new { s.Step, s.ScheduledSeconds, s.ActualSeconds, LatenessMs = Math.Round(s.LatenessMs, 3), s.Ok, s.Reply }),
                Series = r.Series.Select(s => new { s.Name, s.Measurement, File = s.Name + ".csv", Rows = s.Rows.Count }),
                Values = r.Values.Select(v => new { v.Key.Measurement, v.Key.Value, Number = double.IsNaN(v.Value) ? (double?)null : v.Value }),
                r.Problems,
            }),
        };
        return JsonSerializer.Serialize(manifest, Json) + "\n";
    }

    private static string RunsCsv(ExperimentResult result)
    {
        var parameters = result.Experiment.Parameters.Select(p => p.Name).ToList();
        var values = result.Runs.SelectMany(r => r.Values.Keys).Distinct().OrderBy(k => k.Measurement, StringComparer.Ordinal).ThenBy(k => k.Value, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.AppendJoin(',', new[] { "run", "repetition" }.Concat(parameters).Concat(values.Select(v => $"{v.Measurement}.{v.Value}"))).Append('\n');
        foreach (var r in result.Runs)
        {
            var cells = new List<string> { (r.Run.Index + 1).ToString(CultureInfo.InvariantCulture), (r.Run.Repetition + 1).ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(parameters.Select(p => r.Run.Bindings[p]));
            cells.AddRange(values.Select(v => r.Values.TryGetValue(v, out var x) && !double.IsNaN(x) ? x.ToString("0.####", CultureInfo.InvariantCulture) : ""));
            sb.AppendJoin(',', cells).Append('\n');
        }
        return sb.ToString();
    }
}
