using System.Globalization;
using VNet.Host.Labs;

namespace VNet.Bench.Scale;

/// <summary>
/// One point of "links on one host": a generated star lab whose h1 holds one end of every link, one
/// net load, and h1's vnetd before and after it (RSS, threads, CPU with no traffic).
/// </summary>
public sealed record LinksPoint(ForwarderModel Model, int Hosts, int Links, double ClusterSeconds, double LoadSeconds, string? Failure,
    VnetdFootprint Before, VnetdFootprint After, double IdleCpuBefore, double IdleCpuAfter)
{
    /// <summary>Every link established.</summary>
    public bool Loaded => Failure is null;
}

/// <summary>Measures <see cref="LinksPoint"/>s.</summary>
public static class LinksOnOneHost
{
    /// <summary>Seconds of CPU time read with no traffic.</summary>
    public static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Hosts of the star: raw links are numbered per peer pair (at most 110 per pair), so h1 needs
    /// a peer for every 100 links; at least two peers, as before.
    /// </summary>
    public static int HostsFor(int links) => 1 + Math.Max(2, (links + 99) / 100);

    /// <summary>Brings the lab up, loads it, reads h1's vnetd; the lab is always torn down.</summary>
    public static async Task<LinksPoint> MeasureAsync(int links, ForwarderModel model, TextWriter output, CancellationToken cancel)
    {
        var hosts = HostsFor(links);
        output.Write($"  star lab: {hosts} hosts, {links} links on h1, forwarders {model.Name()} ... ");
        try
        {
            var options = new LabGenOptions(hosts, 1, links) { Layout = LabLayout.Star, Name = $"sc-star-{links}" };
            await using var lab = await ScaleLab.UpAsync(options, $"{links}{model.Tag()}", model, TimeSpan.FromSeconds(120), cancel);
            var h1 = lab.VnetdPid("h1");
            await Task.Delay(TimeSpan.FromSeconds(3), cancel); // let start-up settle before reading memory and CPU
            var before = VnetdProbe.Footprint(h1);
            var idleBefore = await VnetdProbe.IdleCpuPercentAsync(h1, IdleWindow, cancel);
            var load = await lab.LoadAsync(TimeSpan.FromSeconds(60 + links * 0.6), cancel);
            await Task.Delay(TimeSpan.FromSeconds(3), cancel);
            var after = VnetdProbe.Footprint(h1);
            var idleAfter = await VnetdProbe.IdleCpuPercentAsync(h1, IdleWindow, cancel);
            output.WriteLine(load.Failure is null
                ? string.Create(CultureInfo.InvariantCulture, $"loaded in {load.Seconds:0.0} s; h1 RSS {before.RssMb:0} -> {after.RssMb:0} MB, threads {before.Threads} -> {after.Threads} (forwarders {after.Forwarders}, interface watchers {after.InterfaceWatchers}, .NET workers {after.RuntimeWorkers}), idle CPU {idleBefore:0.0} -> {idleAfter:0.0} %")
                : $"failed: {load.Failure}");
            return new LinksPoint(model, hosts, links, lab.ClusterSeconds, load.Seconds, load.Failure, before, after, idleBefore, idleAfter);
        }
        catch (Exception e) when (e is ShellException or Client.CommandException or IOException)
        {
            output.WriteLine($"failed: {e.Message}");
            return new LinksPoint(model, hosts, links, double.NaN, double.NaN, e.Message, VnetdFootprint.None, VnetdFootprint.None, double.NaN, double.NaN);
        }
    }
}
