using System.Text;

namespace VNet.Bench.Results;

/// <summary>A GitHub-flavoured markdown table.</summary>
public static partial class MarkdownTable
{
    /// <summary>Renders the header and rows; '|' inside cells is escaped.</summary>
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", header.Select(Escape)).AppendLine(" |");
        var all = rows.ToList();
        // Numbers right-aligned, text left-aligned: a column is numeric when every filled cell is a number, ratio or dash.
        sb.Append('|').AppendJoin("", header.Select((_, i) => i > 0 && all.All(r => i >= r.Count || Numeric(r[i])) ? "--:|" : "---|")).AppendLine();
        foreach (var r in all) sb.Append("| ").AppendJoin(" | ", r.Select(Escape)).AppendLine(" |");
        return sb.ToString();
    }

    private static bool Numeric(string cell) => cell.Length == 0 || NumberLike().IsMatch(cell);

    [System.Text.RegularExpressions.GeneratedRegex(@"^([-+−]?[\d.]+(×|%)?|–|not available|kernel|(\d+/)+\d+|[\d.]+( / [\d.]+)+)$")]
    private static partial System.Text.RegularExpressions.Regex NumberLike();

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
