using System.Text;
using System.Text.Json;
using VNet.Actors.Commands;
using VNet.Client;

namespace VNet.Host.Console;

/// <summary>Renders console output lines for people (aligned tables) or scripts (JSON).</summary>
public static class TableRenderer
{
    /// <summary>An aligned text table with a header and a rule.</summary>
    public static string Render(ConsoleLine.Table table)
    {
        var columns = table.Columns;
        var widths = columns.Select((c, i) => Math.Max(c.Length, table.Rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        if (table.Title is { } title) sb.AppendLine(title);
        sb.AppendLine(string.Join("  ", columns.Select((c, i) => c.ToUpperInvariant().PadRight(widths[i]))).TrimEnd());
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in table.Rows)
            sb.AppendLine(string.Join("  ", row.Select((cell, i) => i < widths.Length ? cell.PadRight(widths[i]) : cell)).TrimEnd());
        return sb.ToString().TrimEnd('\n', '\r');
    }

    /// <summary>
    /// The text with control characters other than tab and newline replaced by U+FFFD: what a node
    /// sends is shown, never obeyed by the terminal (escape sequences set titles, clipboards, ...).
    /// JSON output needs nothing, as the serializer escapes them.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r'))) return text;
        return string.Create(text.Length, text, (span, t) =>
        {
            for (var i = 0; i < t.Length; i++) span[i] = char.IsControl(t[i]) && t[i] is not ('\t' or '\n' or '\r') ? '\uFFFD' : t[i];
        });
    }

    /// <summary>Writes one output line to <paramref name="output"/>; errors go to <paramref name="error"/>.</summary>
    public static void Write(ConsoleLine line, TextWriter output, TextWriter error)
    {
        switch (line)
        {
            case ConsoleLine.Table t: output.WriteLine(Printable(Render(t))); break;
            case ConsoleLine.Text t: output.WriteLine(Printable(t.Line)); break;
            case ConsoleLine.Data d: output.WriteLine(d.Value?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null"); break;
            case ConsoleLine.End { Error: { } message }: error.WriteLine($"error: {Printable(message)}"); break;
            case ConsoleLine.File f:
                // Files are written only by the client, to the path the user gave (ConsoleClient.OutputFile);
                // a renderer never writes where a node says.
                error.WriteLine($"error: ignored a file the node sent ('{f.Path}'): nothing was written");
                break;
        }
    }
}
