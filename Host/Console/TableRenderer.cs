using System.Text.Json;
using VNet.Actors.Commands;
using Spectre.Console;
using Spectre.Console.Rendering;
using VNet.Client;

namespace VNet.Host.Console;

/// <summary>
/// Renders console output lines for people (Spectre.Console tables) or scripts (JSON). On a terminal a
/// table has a rounded border and a bold header; otherwise (a pipe, a file, a test) it is plain text
/// that stays easy to parse: the header in capitals over a rule of dashes, columns two spaces apart,
/// one line per row whatever its length, no colour and no trailing spaces.
/// </summary>
public static class TableRenderer
{
    /// <summary>The width of a plain table: wide enough that no cell is ever wrapped.</summary>
    public const int PlainWidth = 4096;

    /// <summary>A table as text: plain unless <paramref name="terminal"/>; <paramref name="width"/> is the terminal's.</summary>
    public static string Render(ConsoleLine.Table table, bool terminal = false, int width = 120)
    {
        var grid = new Table { Border = terminal ? TableBorder.Rounded : PlainBorder.Instance, ShowHeaders = true };
        foreach (var column in table.Columns)
        {
            var header = terminal ? new Text(column, new Style(decoration: Decoration.Bold)) : new Text(column.ToUpperInvariant());
            grid.AddColumn(new TableColumn(header) { NoWrap = !terminal, Padding = terminal ? new Padding(1, 0) : new Padding(0, 0) });
        }
        foreach (var row in table.Rows)
            grid.AddRow([.. Enumerable.Range(0, table.Columns.Length).Select(i => new Text(i < row.Length ? row[i] : ""))]);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = terminal ? width : PlainWidth;
        console.Write(grid);
        var lines = text.ToString().Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0);
        return string.Join("\n", table.Title is { } title ? lines.Prepend(title) : lines);
    }

    /// <summary>True when <paramref name="output"/> is this process's standard output and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter output) => output == System.Console.Out && !System.Console.IsOutputRedirected;

    /// <summary>The border of plain tables: a rule of dashes under the header, two spaces between columns, nothing else.</summary>
    private sealed class PlainBorder : TableBorder
    {
        public static readonly PlainBorder Instance = new();

        public override string GetPart(TableBorderPart part) => part switch
        {
            TableBorderPart.HeaderBottom => "-",
            TableBorderPart.HeaderBottomLeft or TableBorderPart.HeaderBottomRight or TableBorderPart.HeaderLeft or TableBorderPart.HeaderRight
                or TableBorderPart.CellLeft or TableBorderPart.CellRight => "",
            // Two spaces between columns; the parts Spectre repeats along a line are one character.
            TableBorderPart.HeaderSeparator or TableBorderPart.CellSeparator or TableBorderPart.HeaderBottomSeparator => "  ",
            _ => " ",
        };
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

    /// <summary>The table with every cell made printable.</summary>
    public static ConsoleLine.Table Printable(ConsoleLine.Table table) =>
        table with
        {
            Title = table.Title is null ? null : Printable(table.Title),
            Columns = [.. table.Columns.Select(Printable)],
            Rows = [.. table.Rows.Select(r => System.Collections.Immutable.ImmutableArray.CreateRange(r.Select(Printable)))],
        };

    private static int TerminalWidth => System.Console.IsOutputRedirected ? 120 : Math.Max(40, System.Console.WindowWidth);

    /// <summary>Writes a table to <paramref name="output"/>: with a border on a terminal, plain otherwise.</summary>
    public static void WriteTable(ConsoleLine.Table table, TextWriter output) =>
        output.WriteLine(Render(Printable(table), IsTerminal(output), TerminalWidth));

    /// <summary>Writes one output line to <paramref name="output"/>; errors go to <paramref name="error"/>.</summary>
    public static void Write(ConsoleLine line, TextWriter output, TextWriter error)
    {
        switch (line)
        {
            case ConsoleLine.Table t: WriteTable(t, output); break;
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
