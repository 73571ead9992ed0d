using System.Collections.Immutable;

namespace VNet.Host.Observability;

/// <summary>One end of a link with the rates of its two directions between two readings.</summary>
/// <param name="Link">The link id.</param>
/// <param name="Kind">The link kind.</param>
/// <param name="State">The link's state as the topology manager holds it.</param>
/// <param name="End">The end: <c>vm@host</c>.</param>
/// <param name="VmToNetBitsPerSecond">What the end's VM sent into the link.</param>
/// <param name="NetToVmBitsPerSecond">What the link delivered to the end's VM.</param>
/// <param name="DropsPerSecond">Drops of both directions of this end.</param>
/// <param name="Drops">Drops of both directions since the link started.</param>
public sealed record EndRate(string Link, string Kind, string State, string End, double VmToNetBitsPerSecond, double NetToVmBitsPerSecond, double DropsPerSecond, long Drops);

/// <summary>Rates from two successive <see cref="TopologyView"/>s (pure).</summary>
public static class LinkRates
{
    /// <summary>
    /// Every end of <paramref name="after"/>; rates are 0 for an end not in <paramref name="before"/>
    /// (or with no counters), and a counter that went down (the link was made again) counts from 0.
    /// </summary>
    public static ImmutableArray<EndRate> Between(TopologyView? before, TopologyView after)
    {
        var seconds = before is null ? 0 : (after.TimeUnixMs - before.TimeUnixMs) / 1000.0;
        var old = (before?.Links ?? []).SelectMany(l => l.Ends.Select(e => (Key: (l.Id, e.Host, e.Vm), End: e))).ToDictionary(x => x.Key, x => x.End);
        var result = ImmutableArray.CreateBuilder<EndRate>();
        foreach (var link in after.Links)
        {
            foreach (var end in link.Ends)
            {
                old.TryGetValue((link.Id, end.Host, end.Vm), out var was);
                double Rate(long now, long then) => seconds <= 0 ? 0 : (now >= then ? now - then : now) / seconds;
                var drops = (end.VmToNet?.Drops ?? 0) + (end.NetToVm?.Drops ?? 0);
                var dropsBefore = (was?.VmToNet?.Drops ?? 0) + (was?.NetToVm?.Drops ?? 0);
                result.Add(new EndRate(link.Id, link.Kind, link.Status, $"{end.Vm}@{end.Host}",
                    was is null ? 0 : 8 * Rate(end.VmToNet?.Bytes ?? 0, was.VmToNet?.Bytes ?? 0),
                    was is null ? 0 : 8 * Rate(end.NetToVm?.Bytes ?? 0, was.NetToVm?.Bytes ?? 0),
                    was is null ? 0 : Rate(drops, dropsBefore), drops));
            }
        }
        return result.ToImmutable();
    }

    /// <summary>A rate for people: <c>12.3 Mbit/s</c>.</summary>
    public static string Format(double bitsPerSecond)
    {
        string[] units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
        var i = 0;
        while (bitsPerSecond >= 1000 && i < units.Length - 1)
        {
            bitsPerSecond /= 1000;
            i++;
        }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bitsPerSecond:0.##} {units[i]}");
    }
}
