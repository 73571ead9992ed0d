using System.Diagnostics;
using System.Globalization;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Messages.Commands;

namespace VNet.Bench.Scale;

/// <summary>
/// A generated mesh lab of many hosts: the time until every vnetd is in one cluster, what one
/// discovery search from h1 finds, and one net load of its links.
/// </summary>
public sealed record ManyHostsPoint(int Hosts, int VmsPerHost, int Links, double UpSeconds, double ClusterSeconds, int Discovered, double DiscoverSeconds,
    double LoadSeconds, string? LoadFailure, double MeanRssMb, int MeanThreads, string? Failure)
{
    /// <summary>How the discovery search ended: its end reason and last TTL, or why it was refused.</summary>
    public string DiscoverEnd { get; init; } = "";

    /// <summary>The lab came up as one cluster.</summary>
    public bool Up => Failure is null;
}

/// <summary>Measures a <see cref="ManyHostsPoint"/>; the lab is always torn down.</summary>
public static class ManyHosts
{
    /// <summary>Brings up <paramref name="hosts"/> hosts with <paramref name="vmsPerHost"/> VMs each, then searches and loads.</summary>
    public static async Task<ManyHostsPoint> MeasureAsync(int hosts, int vmsPerHost, TimeSpan loadTimeout, TextWriter output, CancellationToken cancel)
    {
        var links = hosts * vmsPerHost / 2;
        output.Write($"  mesh lab: {hosts} hosts, {vmsPerHost} VMs each, {links} links ... ");
        try
        {
            var options = new LabGenOptions(hosts, vmsPerHost) { Name = $"sc-mesh-{hosts}" };
            await using var lab = await ScaleLab.UpAsync(options, $"m{hosts}", ForwarderModel.Pool, TimeSpan.FromSeconds(300), cancel);
            output.Write(string.Create(CultureInfo.InvariantCulture, $"up in {lab.UpSeconds:0.0} s (cluster step {lab.ClusterSeconds:0.0} s); "));
            var (found, searched, end) = await DiscoverAsync(lab, hosts - 1, cancel);
            output.Write(string.Create(CultureInfo.InvariantCulture, $"discover from h1: {found + 1} of {hosts} in {searched:0.0} s ({end}); "));
            var load = await lab.LoadAsync(loadTimeout, cancel);
            output.WriteLine(load.Failure is null ? string.Create(CultureInfo.InvariantCulture, $"{links} links loaded in {load.Seconds:0.0} s") : $"net load failed after {load.Seconds:0} s: {load.Failure}");
            var footprints = lab.State.Hosts.Select(h => VnetdProbe.Footprint(lab.VnetdPid(h.Name))).ToList();
            return new ManyHostsPoint(hosts, vmsPerHost, links, lab.UpSeconds, lab.ClusterSeconds, found + 1, searched, load.Seconds, load.Failure,
                footprints.Average(f => f.RssMb), (int)footprints.Average(f => f.Threads), null) { DiscoverEnd = end };
        }
        catch (Exception e) when (e is ShellException or CommandException or IOException)
        {
            output.WriteLine($"failed: {e.Message}");
            return new ManyHostsPoint(hosts, vmsPerHost, links, double.NaN, double.NaN, 0, double.NaN, double.NaN, null, double.NaN, 0, e.Message);
        }
    }

    /// <summary>One expanding-TTL search from h1 for <paramref name="want"/> other hosts: how many answered (h1 itself not counted), how long it ran, how it ended.</summary>
    private static async Task<(int Found, double Seconds, string End)> DiscoverAsync(ScaleLab lab, int want, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(lab.State.Hosts[0].Socket), cancel: cancel);
        var search = vnet.StreamAsync(new SearchHosts(null, want, null));
        await foreach (var _ in search.WithCancellation(cancel))
        {
        }
        return search.Reply switch
        {
            SearchDone done => (done.Hosts.Length, clock.Elapsed.TotalSeconds, string.Create(CultureInfo.InvariantCulture, $"{done.Reason}, last TTL {done.LastTtl}, self {(done.Self is null ? "not answered" : "answered")}")),
            SearchRefused refused => (0, clock.Elapsed.TotalSeconds, "refused: " + string.Join("; ", refused.Problems)),
            var other => (0, clock.Elapsed.TotalSeconds, $"unexpected reply {other.GetType().Name}"),
        };
    }
}
