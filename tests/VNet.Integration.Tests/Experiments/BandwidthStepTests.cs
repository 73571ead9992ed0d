using Xunit.Abstractions;
using System.Globalization;

namespace VNet.Integration.Tests.Experiments;

/// <summary>experiments/bandwidth-step.xml run by the real binary on a real three-host lab.</summary>
public class BandwidthStepTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bandwidth_step_measures_20_then_60_Mbit_shows_the_loss_and_the_kill_and_plots_it()
    {
        var prefix = ExperimentProcess.NewPrefix();
        var results = ExperimentProcess.NewResultsDirectory();
        using var vnet = ExperimentProcess.Vnet("experiment", "run", "experiments/bandwidth-step.xml", "--out", results, "--prefix", prefix);
        try
        {
            Assert.Equal(0, await vnet.ExitAsync(TimeSpan.FromSeconds(90)));
            ExperimentProcess.AssertNoNamespaces(prefix);

            // TCP vm1 -> vm2 (receiver side, 0.5 s intervals): 20 Mbit/s until the step at 5 s, 60 after (±15 %),
            // leaving out each phase's first second (slow start, the queue of the old rate draining).
            var tcp = ExperimentProcess.Csv(Path.Combine(results, "tcp.csv"));
            double Mean(double from, double to) => tcp.Where(r => r.T > from && r.T <= to).Average(r => double.Parse(r.Cells["mbps"], CultureInfo.InvariantCulture));
            var before = Mean(1.5, 5);
            var after = Mean(6.5, 10);
            output.WriteLine($"tcp: {before:0.0} Mbit/s before 5 s, {after:0.0} after");
            Assert.InRange(before, 20 * 0.85, 20 * 1.15);
            Assert.InRange(after, 60 * 0.85, 60 * 1.15);

            // ping vm3 -> vm2 does not share the TCP flow's queue: no loss before 10 s, the 2 % after,
            // and nothing through while h3 (vm3's host) is killed from 15 s.
            var ping = ExperimentProcess.Csv(Path.Combine(results, "ping-vm3-vm2.csv"));
            double Lost(double from, double to) => ping.Where(r => r.T >= from && r.T < to).Average(r => double.Parse(r.Cells["lost"], CultureInfo.InvariantCulture));
            output.WriteLine($"ping vm3->vm2 lost: {Lost(1, 10):P1} before 10 s, {Lost(10, 15):P1} in 10-15 s, {Lost(15.5, 20):P1} in 15.5-20 s");
            Assert.True(Lost(1, 10) < 0.01, $"loss before 10 s: {Lost(1, 10):P1}");
            Assert.InRange(Lost(10, 15), 0.005, 0.15);
            Assert.True(Lost(15.5, 20) > 0.9, $"loss while h3 is killed: {Lost(15.5, 20):P1}");

            // The link state: all three hosts report seg1 until the kill at 15 s, fewer (or no answer) after.
            var state = ExperimentProcess.Csv(Path.Combine(results, "seg1-state.csv"));
            Assert.All(state.Where(r => r.T < 15), r => Assert.Equal("3", r.Cells["hosts_reporting"]));
            Assert.Contains(state, r => r.T > 15 && r.T < 25 && r.Cells["hosts_reporting"] != "3");
            var counters = ExperimentProcess.Csv(Path.Combine(results, "seg1-counters.csv"));
            Assert.Contains(counters, r => r.T < 15 && r.Cells["host"] == "h3");
            Assert.DoesNotContain(counters, r => r.T > 15.5 && r.T < 19.5 && r.Cells["host"] == "h3");

            foreach (var png in new[] { "tcp.png", "ping-vm1-vm2.png", "ping-vm3-vm2.png", "seg1-state.png", "seg1-counters.png" })
                ExperimentProcess.AssertPng(Path.Combine(results, png));
            var manifest = ExperimentProcess.Manifest(results);
            Assert.False(manifest["interrupted"]!.GetValue<bool>());
            var steps = manifest["runs"]![0]!["steps"]!.AsArray();
            Assert.Equal(5, steps.Count);
            Assert.All(steps, s => Assert.True(s!["ok"]!.GetValue<bool>(), s.ToJsonString()));
            Assert.Contains("Largest step lateness", File.ReadAllText(Path.Combine(results, "summary.md")));
            Assert.True(File.Exists(Path.Combine(results, "experiment.xml")));
            Directory.Delete(results, recursive: true);
        }
        finally
        {
            output.WriteLine(vnet.Output);
        }
    }
}
