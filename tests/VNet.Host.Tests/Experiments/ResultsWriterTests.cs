using System.Collections.Immutable;
using VNet.Host.Experiments;
using VNet.Host.Labs;

namespace VNet.Host.Tests.Experiments;

/// <summary>The results directory of a run: CSV per series, summary per phase between steps, manifest and plots.</summary>
public class ResultsWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vnet-results-test-{Guid.NewGuid():N}");

    public ResultsWriterTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ExperimentResult Result()
    {
        var iperf = new IperfMeasurement("tcp", TimeSpan.Zero, TimeSpan.FromSeconds(10), new SourceSpot(9, 5), "vm1", "vm2", false, 0, 0, TimeSpan.FromSeconds(1));
        var run = new ExperimentRun(0, ImmutableDictionary<string, string>.Empty, 0, [CommandStep.Of(TimeSpan.FromSeconds(5), "link set --id l1 --bandwidth 60M")], [iperf]);
        var experiment = new ExperimentDefinition("step", "step.xml", "<experiment name=\"step\"/>", new ExperimentTarget("two-hosts.xml", true), [], 1, [run], []);
        var series = new Series("tcp", "tcp", ["mbps", "retransmits"]);
        for (var t = 1; t <= 10; t++) series.Add(t - 0.5, t <= 5 ? 20.0 : 60.0, 0);
        var steps = ImmutableArray.Create(new StepRecord(0, "link set --id l1 --bandwidth 60M", 5, 5.012, 12, true, "link l1: bw=60M"));
        var record = new RunRecord(run, _dir, steps, [series], ImmutableDictionary<(string, string), double>.Empty.Add(("tcp", "throughput"), 40), [], 10);
        var lab = new LabState("ex0001", "two-hosts", "ex0001-", "two-hosts.xml", [], [new LabHostState("h1", "ex0001-h1", "192.0.2.10", "/s", "/c")], []);
        return new ExperimentResult(experiment, _dir, [record], false, lab, DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void A_run_writes_its_series_the_file_as_run_a_manifest_a_summary_per_phase_and_a_plot()
    {
        ResultsWriter.Write(Result());
        var csv = File.ReadAllLines(Path.Combine(_dir, "tcp.csv"));
        Assert.Equal("t,mbps,retransmits", csv[0]);
        Assert.Equal("0.500,20,0", csv[1]);
        Assert.Equal(11, csv.Length);
        Assert.Equal("<experiment name=\"step\"/>", File.ReadAllText(Path.Combine(_dir, "experiment.xml")));
        var summary = File.ReadAllText(Path.Combine(_dir, "summary.md"));
        Assert.Contains("Largest step lateness: **12.0 ms**", summary);
        Assert.Contains("| 0.0-5.0 s | mbps | 20 | 20 | 20 | 5 |", summary);
        Assert.Contains("| 5.0 s-end | mbps | 60 | 60 | 60 | 5 |", summary);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "manifest.json")))!;
        Assert.Equal(12, manifest["largestLatenessMs"]!.GetValue<double>());
        Assert.Equal(5.012, manifest["runs"]![0]!["steps"]![0]!["actualSeconds"]!.GetValue<double>());
        Assert.Equal("link l1: bw=60M", manifest["runs"]![0]!["steps"]![0]!["reply"]!.GetValue<string>());
        Assert.Equal("h1", manifest["hosts"]![0]!["name"]!.GetValue<string>());
        var png = File.ReadAllBytes(Path.Combine(_dir, "tcp.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }
}
