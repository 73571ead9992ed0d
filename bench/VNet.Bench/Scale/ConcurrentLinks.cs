using System.Globalization;
using VNet.Bench.Measuring;
using VNet.Host.Labs;

namespace VNet.Bench.Scale;

/// <summary>Aggregate TCP rate of <paramref name="Links"/> links carrying iperf3 at once.</summary>
/// <param name="Model">The forwarder model of both vnetds.</param>
/// <param name="Links">Links carrying iperf3 at the same time.</param>
/// <param name="SumMbps">The sum of the receiver rates, Mbit/s.</param>
/// <param name="PerLinkMbps">Each link's receiver rate, Mbit/s.</param>
/// <param name="Failure">Why the point was not measured, or null.</param>
public sealed record ConcurrencyPoint(ForwarderModel Model, int Links, double SumMbps, IReadOnlyList<double> PerLinkMbps, string? Failure)
{
    /// <summary>The slowest link's share of a fair split, 1 = every link got the same.</summary>
    public double Fairness => PerLinkMbps.Count == 0 || SumMbps <= 0 ? double.NaN : PerLinkMbps.Min() / (SumMbps / PerLinkMbps.Count);
}

/// <summary>
/// Two hosts with 16 VMs each and 16 raw-p2p links (h1vI ↔ h2vJ, h1 sending), one net load; then iperf3 TCP
/// over 1, 4 and 16 of the links at once, the same seconds each, on distinct ports; the sum of the
/// receiver rates. The lab is always torn down.
/// </summary>
public static class ConcurrentLinks
{
    private const int BasePort = 5301;

    /// <summary>Measures every count of <paramref name="counts"/> on one lab with <paramref name="model"/>.</summary>
    public static async Task<List<ConcurrencyPoint>> MeasureAsync(IReadOnlyList<int> counts, double seconds, ForwarderModel model, TextWriter output, CancellationToken cancel)
    {
        var most = counts.Max();
        var points = new List<ConcurrencyPoint>();
        output.Write($"  2 hosts, {most} links, forwarders {model.Name()}: ");
        try
        {
            var options = new LabGenOptions(2, most, most) { Name = $"sc-pair-{most}" };
            await using var lab = await ScaleLab.UpAsync(options, $"tp{model.Tag()}", model, TimeSpan.FromSeconds(90), cancel);
            var load = await lab.LoadAsync(TimeSpan.FromSeconds(120), cancel);
            if (load.Failure is not null)
            {
                output.WriteLine($"net load failed: {load.Failure}");
                return [.. counts.Select(c => new ConcurrencyPoint(model, c, double.NaN, [], $"net load: {load.Failure}"))];
            }
            output.Write($"loaded in {load.Seconds:0.0} s;");
            var vms = lab.Definition.Vms.ToDictionary(v => v.Name);
            // Every sender on h1, every receiver on h2 (the generator alternates which end comes first).
            var pairs = lab.Definition.Network.Links.Select(l => vms[l.Vms[0]].Host == "h1" ? (Client: vms[l.Vms[0]], Server: vms[l.Vms[1]]) : (Client: vms[l.Vms[1]], Server: vms[l.Vms[0]])).ToList();
            var logs = Path.Combine(lab.State.Directory, "iperf");
            Directory.CreateDirectory(logs);
            foreach (var count in counts)
            {
                try
                {
                    var runs = pairs.Take(count).Select((p, i) => IperfRunner.RunAsync(lab.Netns(p.Server.Name), lab.Netns(p.Client.Name), p.Server.Address!.ToString(),
                        seconds, null, null, logs, BasePort + i, null, cancel)).ToList();
                    var outcomes = await Task.WhenAll(runs);
                    var rates = outcomes.Select(o => o.ReceivedBitsPerSecond / 1e6).ToList();
                    points.Add(new ConcurrencyPoint(model, count, rates.Sum(), rates, null));
                    output.Write(string.Create(CultureInfo.InvariantCulture, $" {count}: {rates.Sum():0} Mbit/s;"));
                }
                catch (ShellException e)
                {
                    points.Add(new ConcurrencyPoint(model, count, double.NaN, [], e.Message));
                    output.Write($" {count}: failed ({e.Message});");
                }
            }
            output.WriteLine();
        }
        catch (Exception e) when (e is ShellException or Client.CommandException or IOException)
        {
            output.WriteLine($"failed: {e.Message}");
            points.AddRange(counts.Where(c => points.All(p => p.Links != c)).Select(c => new ConcurrencyPoint(model, c, double.NaN, [], e.Message)));
        }
        return points;
    }
}
