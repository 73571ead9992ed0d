using Prometheus;

namespace VNet.Host.Observability;

/// <summary>
/// Sets labelled series from readings taken at scrape time and removes the series a reading no
/// longer has (a deleted link), so /metrics shows what exists now. A counter whose reading went
/// down (the link was made again under the same id) starts over, as a restarted process would.
/// </summary>
public sealed class SeriesTracker
{
    private readonly Dictionary<Collector, HashSet<string>> _seen = new();
    private readonly Dictionary<Collector, HashSet<string>> _now = new();

    /// <summary>Starts a reading.</summary>
    public void Begin() => _now.Clear();

    /// <summary>Sets a counter series to a total read from elsewhere.</summary>
    public void Count(Counter counter, double total, params string[] labels)
    {
        Touch(counter, labels);
        var child = counter.WithLabels(labels);
        if (total < child.Value)
        {
            counter.RemoveLabelled(labels);
            child = counter.WithLabels(labels);
        }
        child.IncTo(total);
    }

    /// <summary>Sets a gauge series.</summary>
    public void Set(Gauge gauge, double value, params string[] labels)
    {
        Touch(gauge, labels);
        gauge.WithLabels(labels).Set(value);
    }

    /// <summary>Ends a reading: removes the series of the families it touched (or touched before) that it did not set.</summary>
    public void End()
    {
        foreach (var (collector, before) in _seen)
        {
            var now = _now.GetValueOrDefault(collector) ?? [];
            foreach (var key in before.Where(k => !now.Contains(k)))
            {
                var labels = key.Split('\u0001');
                switch (collector)
                {
                    case Counter c: c.RemoveLabelled(labels); break;
                    case Gauge g: g.RemoveLabelled(labels); break;
                }
            }
        }
        _seen.Clear();
        foreach (var (collector, now) in _now) _seen[collector] = now;
        _now.Clear();
    }

    private void Touch(Collector collector, string[] labels)
    {
        if (!_now.TryGetValue(collector, out var set)) _now[collector] = set = [];
        set.Add(string.Join('\u0001', labels));
        _seen.TryAdd(collector, []);
    }
}
