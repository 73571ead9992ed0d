using System.Text.RegularExpressions;

namespace VNet.Host.Tests.Observability;

/// <summary>docs/metrics.md lists exactly what /metrics serves: names, types and labels.</summary>
public sealed partial class MetricsDocumentationTests
{
    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>The rows of the "Every metric" table: name → (type, labels).</summary>
    internal static Dictionary<string, (string Type, HashSet<string> Labels)> Documented()
    {
        var rows = new Dictionary<string, (string, HashSet<string>)>();
        foreach (var line in File.ReadLines(Path.Combine(RepoRoot, "docs", "metrics.md")))
        {
            var m = Row().Match(line);
            if (!m.Success) continue;
            var labels = m.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            rows.Add(m.Groups["name"].Value, (m.Groups["type"].Value, labels));
        }
        return rows;
    }

    [Fact]
    public async Task Every_served_metric_is_documented_with_its_type_and_labels_and_every_documented_one_is_served()
    {
        var served = await MetricNamingTests.EveryFamilyAsync();
        var documented = Documented();
        foreach (var f in served)
        {
            Assert.True(documented.TryGetValue(f.Name, out var doc), $"{f.Name} is served but not in docs/metrics.md");
            Assert.Equal(doc.Type, f.Type);
            var labels = f.Samples.SelectMany(s => s.Labels.Keys).Where(l => l != "le").ToHashSet();
            Assert.True(doc.Labels.SetEquals(labels), $"{f.Name}: documented labels [{string.Join(", ", doc.Labels)}], served [{string.Join(", ", labels)}]");
        }
        foreach (var name in documented.Keys) Assert.Contains(served, f => f.Name == name);
    }

    [GeneratedRegex(@"^\| `(?<name>vnet_[a-z0-9_]+)` \| (?<type>counter|gauge|histogram) \|\s*(?<labels>[a-z_, ]*?)\s*\|")]
    private static partial Regex Row();
}
