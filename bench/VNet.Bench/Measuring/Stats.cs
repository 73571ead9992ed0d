namespace VNet.Bench.Measuring;

/// <summary>Small statistics helpers (NaN for no data, so tables print "–").</summary>
public static class Stats
{
    /// <summary>The median, or NaN when there is no value.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
