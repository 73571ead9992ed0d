using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace VNet.Host.Experiments;

/// <summary>
/// One measured series of a run: a CSV with <c>t</c> (seconds since the start of the run) first and
/// then its values. Rows are added while the measurement runs (thread-safe) and the file is written
/// whole at the end, also when the run was interrupted.
/// </summary>
public sealed class Series(string name, string measurement, ImmutableArray<string> columns)
{
    private readonly List<string[]> _rows = [];

    /// <summary>File name without extension, e.g. <c>tcp</c> or <c>seg1-counters</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The measurement that wrote it.</summary>
    public string Measurement { get; } = measurement;

    /// <summary>The columns after <c>t</c>.</summary>
    public ImmutableArray<string> Columns { get; } = columns;

    /// <summary>Adds a row: the time and one cell per column (numbers are written invariantly; null is an empty cell).</summary>
    public void Add(double t, params object?[] cells)
    {
        if (cells.Length != Columns.Length) throw new ArgumentException($"series {Name}: {cells.Length} cells for {Columns.Length} columns");
        var row = new string[cells.Length + 1];
        row[0] = t.ToString("0.000", CultureInfo.InvariantCulture);
        for (var i = 0; i < cells.Length; i++)
            row[i + 1] = cells[i] switch
            {
                null => "",
                double d when double.IsNaN(d) => "",
                double d => d.ToString("0.######", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var o => Csv(o.ToString() ?? ""),
            };
        lock (_rows) _rows.Add(row);
    }

    /// <summary>A copy of the rows so far, ordered by time.</summary>
    public IReadOnlyList<string[]> Rows
    {
        get
        {
            lock (_rows) return [.. _rows.OrderBy(r => double.Parse(r[0], CultureInfo.InvariantCulture))];
        }
    }

    /// <summary>The times and the numeric values of one column (rows with an empty cell left out).</summary>
    public (double[] T, double[] Values) Numbers(string column)
    {
        var index = Columns.IndexOf(column) + 1;
        if (index == 0) throw new ArgumentException($"series {Name} has no column {column}");
        var pairs = Rows.Where(r => r[index].Length > 0 && double.TryParse(r[index], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            .Select(r => (double.Parse(r[0], CultureInfo.InvariantCulture), double.Parse(r[index], CultureInfo.InvariantCulture))).ToList();
        return ([.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)]);
    }

    /// <summary>The CSV text: a header, then one line per row.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append("t,").AppendJoin(',', Columns).Append('\n');
        foreach (var row in Rows) sb.AppendJoin(',', row).Append('\n');
        return sb.ToString();
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
