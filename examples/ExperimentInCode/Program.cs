using System.Globalization;
using VNet.Host.Experiments;

// A bandwidth step written in C#: labs/two-hosts.xml, link l1 at 30 Mbit/s, 80 Mbit/s from t = 3 s,
// TCP from vm1 to vm2 and the link's counters throughout. The same runner as
// `vnet experiment run` brings the lab up, runs the timeline, writes the results directory and
// tears the lab down; the example then prints the throughput before and after the step.
//
//   dotnet run --project examples/ExperimentInCode -- [--lab-file labs/two-hosts.xml] [--out DIR] [--seconds 6]
string labFile = "labs/two-hosts.xml", outDir = Path.Combine(Path.GetTempPath(), $"experiment-in-code-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
string? prefix = null;
var seconds = 6.0;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--lab-file": labFile = args[i + 1]; break;
        case "--out": outDir = args[i + 1]; break;
        case "--prefix": prefix = args[i + 1]; break;
        case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unexpected '{args[i]}'"); return 2;
    }
}

var step = TimeSpan.FromSeconds(seconds / 2);
var experiment = ExperimentDefinition.InCode("bandwidth-step-in-code", Path.GetFullPath(labFile), createLabLinks: true,
    [
        CommandStep.Of(TimeSpan.Zero, "link set --id l1 --bandwidth 30M"),
        CommandStep.Of(step, "link set --id l1 --bandwidth 80M"),
    ],
    [
        new IperfMeasurement("tcp", TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(seconds - 0.5), default, From: "vm1", To: "vm2", Udp: false, RateBitsPerSecond: 0, Length: 0, Interval: TimeSpan.FromMilliseconds(500)),
        new CountersMeasurement("l1", TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(seconds - 0.5), default, Link: "l1", Every: TimeSpan.FromMilliseconds(500)),
    ]);

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupt.Cancel(); };
var result = await new ExperimentRunner(Console.Out).RunAsync(experiment, new ExperimentOptions { OutDirectory = outDir, Prefix = prefix }, interrupt.Token);

// The run's series are in memory as well as in tcp.csv: the mean before and after the step.
var run = result.Runs.Single();
var (t, mbps) = run.Series.Single(s => s.Name == "tcp").Numbers("mbps");
var changedAt = run.Steps[1].ActualSeconds;
double Mean(Func<double, bool> when) => t.Select((x, i) => (x, mbps[i])).Where(p => when(p.x)).Select(p => p.Item2).DefaultIfEmpty(double.NaN).Average();
var before = Mean(x => x > 1.5 && x <= changedAt);
var after = Mean(x => x > changedAt + 1);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tcp before the step: {before:0.0} Mbit/s, after: {after:0.0} Mbit/s (results in {outDir})"));
return result.Interrupted ? 130 : 0;
