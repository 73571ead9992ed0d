using Prometheus;
using VNet.Capture.Forwarding;
using VNet.Messages;

namespace VNet.Host.Observability;

/// <summary>
/// The per-link metrics of this host's ends, set at scrape time from the HostActor's table (the
/// same counters <c>link stats</c> shows): nothing is counted on the frame path for them.
/// </summary>
public sealed class LinkMetrics
{
    /// <summary>The labels of a link end's direction.</summary>
    public static readonly string[] DirectionLabels = ["link", "kind", "host", "direction"];

    /// <summary>Every link state, as label values.</summary>
    public static readonly string[] States = [.. Enum.GetValues<LinkStatus>().Select(StateName)];

    /// <summary>Every drop reason, as label values (the names <c>link stats</c> uses).</summary>
    public static readonly string[] Reasons = [.. Enum.GetValues<DropReason>().Select(DirectionStats.Name)];

    private readonly Counter _frames, _bytes, _capsuleBytes, _compressed, _fragmented, _drops;
    private readonly Gauge _ratio, _state, _vmMtu, _links;
    private readonly SeriesTracker _series = new();

    /// <summary>Registers the link metrics with <paramref name="factory"/>.</summary>
    public LinkMetrics(IMetricFactory factory)
    {
        _frames = factory.CreateCounter("vnet_link_frames_total", "Ethernet frames carried by this host's end of a link, per direction.", DirectionLabels);
        _bytes = factory.CreateCounter("vnet_link_bytes_total", "Bytes of the Ethernet frames carried (header included), per direction.", DirectionLabels);
        _capsuleBytes = factory.CreateCounter("vnet_link_capsule_bytes_total", "Bytes of the capsules on the substrate (wire bytes, without IP/UDP headers), per direction.", DirectionLabels);
        _compressed = factory.CreateCounter("vnet_link_compressed_frames_total", "Frames that crossed compressed, per direction.", DirectionLabels);
        _fragmented = factory.CreateCounter("vnet_link_fragmented_frames_total", "Frames larger than the substrate MTU, carried as IP fragments (raw kinds) or datagram trains (UDP kinds), per direction.", DirectionLabels);
        _drops = factory.CreateCounter("vnet_link_drops_total", "Frames that did not cross, per direction and reason (capture-overflow and socket-overflow are the kernel's capture ring and socket buffer overflows).", [.. DirectionLabels, "reason"]);
        _ratio = factory.CreateGauge("vnet_link_compression_ratio", "Capsule bytes per frame byte since the link started (below 1 when compression pays off; 1 when idle), per direction.", DirectionLabels);
        _state = factory.CreateGauge("vnet_link_state", "State of this host's end of a link: 1 for its current state, 0 for the others.", ["link", "kind", "host", "state"]);
        _vmMtu = factory.CreateGauge("vnet_link_vm_mtu_bytes", "The MTU the link offers the VM (0 until its data plane runs).", ["link", "kind", "host"]);
        _links = factory.CreateGauge("vnet_links", "Links with an end on this host, by the state of that end.", ["host", "state"]);
    }

    /// <summary>The label value of a link state: <c>established</c>, <c>down</c>, ….</summary>
    public static string StateName(LinkStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Sets every link metric from <paramref name="table"/>; series of links no longer in it are removed.</summary>
    public void Update(LinkProtocol.Table table)
    {
        _series.Begin();
        foreach (var row in table.Rows)
        {
            var kind = row.Link.Kind.Name();
            Direction(row.Link.Id, kind, table.Host, "vm-to-net", row.ToSubstrate);
            Direction(row.Link.Id, kind, table.Host, "net-to-vm", row.ToVm);
            var current = StateName(row.Status);
            foreach (var state in States) _series.Set(_state, state == current ? 1 : 0, row.Link.Id, kind, table.Host, state);
            _series.Set(_vmMtu, row.VmMtu, row.Link.Id, kind, table.Host);
        }
        foreach (var state in States) _series.Set(_links, table.Rows.Count(r => StateName(r.Status) == state), table.Host, state);
        _series.End();
    }

    private void Direction(string link, string kind, string host, string direction, DirectionCounters c)
    {
        _series.Count(_frames, c.Frames, link, kind, host, direction);
        _series.Count(_bytes, c.Bytes, link, kind, host, direction);
        _series.Count(_capsuleBytes, c.WireBytes, link, kind, host, direction);
        _series.Count(_compressed, c.CompressedFrames, link, kind, host, direction);
        _series.Count(_fragmented, c.FragmentedFrames, link, kind, host, direction);
        foreach (var reason in Reasons) _series.Count(_drops, c.Drops.GetValueOrDefault(reason), link, kind, host, direction, reason);
        _series.Set(_ratio, c.CompressionRatio, link, kind, host, direction);
    }
}
