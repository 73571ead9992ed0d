using VNet.Client;
using VNet.Host.Console;

namespace VNet.Host.Tests.Console;

public sealed class TableRendererTests
{
    private static readonly ConsoleLine.Table Sample = new("t", ["id", "status"], [["l1", "established"], ["long-id", "down"]]);

    [Fact]
    public void A_plain_table_has_a_capital_header_a_rule_and_columns_two_spaces_apart()
    {
        Assert.Equal("t\nID       STATUS\n-------  -----------\nl1       established\nlong-id  down", TableRenderer.Render(Sample));
    }

    [Fact]
    public void A_plain_table_never_wraps_a_long_row_and_has_no_trailing_spaces()
    {
        var cell = string.Join(", ", Enumerable.Range(0, 60).Select(i => $"192.0.2.{i}/24"));
        var text = TableRenderer.Render(new ConsoleLine.Table(null, ["node", "addresses"], [["h1", cell], ["vm1", "-"]]));
        var lines = text.Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("h1", lines[2]);
        Assert.EndsWith(cell, lines[2]);
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
    }

    [Fact]
    public void Cells_with_brackets_are_text_not_markup()
    {
        var text = TableRenderer.Render(new ConsoleLine.Table(null, ["a"], [["[red]x[/]"]]));
        Assert.Contains("[red]x[/]", text);
    }

    [Fact]
    public void On_a_terminal_a_table_has_a_border_and_fits_the_width()
    {
        var text = TableRenderer.Render(Sample, terminal: true, width: 40);
        Assert.Contains("╭", text);
        Assert.Contains("established", text);
        Assert.All(text.Split('\n'), l => Assert.True(l.Length <= 40 || l.Contains('\u001b'), l));
    }

    [Fact]
    public void Rows_shorter_than_the_header_get_empty_cells()
    {
        var text = TableRenderer.Render(new ConsoleLine.Table(null, ["a", "b"], [["1"]]));
        Assert.Equal("A  B\n-  -\n1", text);
    }
}
