using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace VNet.Host.Observability;

/// <summary>One sample line: <c>name{label="value",…} 12.5</c>.</summary>
public sealed record PrometheusSample(string Name, ImmutableDictionary<string, string> Labels, double Value)
{
    /// <summary>The value of a label, or null.</summary>
    public string? this[string label] => Labels.GetValueOrDefault(label);
}

/// <summary>A metric family: its <c># HELP</c>, <c># TYPE</c> and samples.</summary>
public sealed record PrometheusFamily(string Name, string Type, string Help, ImmutableArray<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4: every family has a HELP and a
/// TYPE line before its samples, names and labels follow the naming rules, values are numbers.
/// Used by the tests and by anyone checking what a node serves; errors name the line.
/// </summary>
public static class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the line of the first problem.</summary>
    public static ImmutableArray<PrometheusFamily> Parse(string text)
    {
        var families = new List<(string Name, string? Type, string? Help, List<PrometheusSample> Samples)>();
        var byName = new Dictionary<string, int>();
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var where = $"line {n + 1}";
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[1] is not ("HELP" or "TYPE")) continue; // a comment
                var name = parts[2];
                if (!IsMetricName(name)) throw new FormatException($"{where}: '{name}' is not a metric name");
                if (!byName.TryGetValue(name, out var i))
                {
                    byName[name] = i = families.Count;
                    families.Add((name, null, null, []));
                }
                var f = families[i];
                if (f.Samples.Count > 0) throw new FormatException($"{where}: # {parts[1]} {name} comes after its samples");
                if (parts[1] == "TYPE")
                {
                    if (f.Type is not null) throw new FormatException($"{where}: a second # TYPE for {name}");
                    var type = parts.Length > 3 ? parts[3] : "";
                    if (!Types.Contains(type)) throw new FormatException($"{where}: '{type}' is not a metric type");
                    families[i] = f with { Type = type };
                }
                else
                {
                    if (f.Help is not null) throw new FormatException($"{where}: a second # HELP for {name}");
                    families[i] = f with { Help = parts.Length > 3 ? parts[3] : "" };
                }
                continue;
            }
            var sample = ParseSample(line, where);
            var family = FamilyOf(sample.Name, byName, families.Select(f => f.Type).ToList())
                ?? throw new FormatException($"{where}: sample {sample.Name} has no # TYPE line before it");
            var fam = families[family];
            if (fam.Help is null) throw new FormatException($"{where}: family {fam.Name} has no # HELP line");
            if (fam.Type is null) throw new FormatException($"{where}: family {fam.Name} has no # TYPE line");
            fam.Samples.Add(sample);
        }
        return [.. families.Select(f => new PrometheusFamily(f.Name, f.Type ?? throw new FormatException($"family {f.Name} has no # TYPE line"), f.Help ?? throw new FormatException($"family {f.Name} has no # HELP line"), [.. f.Samples]))];
    }

    /// <summary>The metric-name rule: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    /// <summary>The label-name rule: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not starting with <c>__</c>.</summary>
    public static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !name.StartsWith("__", StringComparison.Ordinal);

    private static int? FamilyOf(string sample, Dictionary<string, int> byName, List<string?> types)
    {
        if (byName.TryGetValue(sample, out var i)) return i;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && byName.TryGetValue(sample[..^suffix.Length], out var j) && types[j] is "histogram" or "summary")
                return j;
        return null;
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ')) i++;
        var name = line[..i];
        if (!IsMetricName(name)) throw new FormatException($"{where}: '{name}' is not a metric name");
        var labels = ImmutableDictionary.CreateBuilder<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0) throw new FormatException($"{where}: a label without '='");
                var label = line[i..eq].Trim();
                if (!IsLabelName(label)) throw new FormatException($"{where}: '{label}' is not a label name");
                if (eq + 1 >= line.Length || line[eq + 1] != '"') throw new FormatException($"{where}: the value of label {label} is not quoted");
                var value = new StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] switch { 'n' => '\n', var c => c });
                    }
                    else value.Append(line[j]);
                }
                if (j >= line.Length) throw new FormatException($"{where}: the value of label {label} is not closed");
                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"{where}: label {label} twice");
                i = j + 1;
                if (i < line.Length && line[i] == ',') i++;
            }
            if (i >= line.Length) throw new FormatException($"{where}: the labels are not closed with '}}'");
            i++;
        }
        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is 0 or > 2) throw new FormatException($"{where}: expected a value (and an optional timestamp) after {name}");
        var number = rest[0] switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, var v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException($"{where}: '{v}' is not a number") };
        return new PrometheusSample(name, labels.ToImmutable(), number);
    }
}
