using Xunit.Abstractions;
using System.Globalization;
using System.Text.RegularExpressions;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Experiments;

/// <summary>The C# example (examples/ExperimentInCode) runs its experiment on a real lab.</summary>
public partial class ExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_csharp_example_runs_a_bandwidth_step_and_reads_its_series()
    {
        var dll = Path.Combine(LabSession.RepoRoot, "examples", "ExperimentInCode", "bin", "Release", "net10.0", "ExperimentInCode.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built (it is part of VNet.Actors.sln)");
        var prefix = ExperimentProcess.NewPrefix();
        var results = ExperimentProcess.NewResultsDirectory();
        using var example = ExperimentProcess.Start(["dotnet", dll], ["--seconds", "8", "--prefix", prefix, "--out", results]);
        try
        {
            Assert.Equal(0, await example.ExitAsync(TimeSpan.FromSeconds(60)));
            ExperimentProcess.AssertNoNamespaces(prefix);
            var m = Line().Match(example.Output);
            Assert.True(m.Success, "the example printed no result line");
            var before = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var after = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.InRange(before, 30 * 0.8, 30 * 1.2);
            Assert.InRange(after, 80 * 0.8, 80 * 1.2);
            Assert.True(File.Exists(Path.Combine(results, "tcp.csv")));
            ExperimentProcess.AssertPng(Path.Combine(results, "l1-counters.png"));
            Directory.Delete(results, recursive: true);
        }
        finally
        {
            output.WriteLine(example.Output);
        }
    }

    [GeneratedRegex(@"tcp before the step: ([\d.]+) Mbit/s, after: ([\d.]+) Mbit/s")]
    private static partial Regex Line();
}
