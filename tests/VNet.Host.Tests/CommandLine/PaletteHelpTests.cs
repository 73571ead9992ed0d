using System.Collections.Immutable;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.CommandLine;
using VNet.Host.Console;

namespace VNet.Host.Tests.CommandLine;

public sealed class PaletteHelpTests
{
    private static readonly ConsoleLine.Hello Hello = new("h1", "akka.tcp://vnet@192.0.2.10:4053",
    [
        new PaletteDefinition("link", "links between VMs", [
            CommandDefinition.Of("create", "create a link", new SwitchDefinition("id", "the link's id", Required: true), new SwitchDefinition("kind", "the link kind", Default: "raw-p2p"), new SwitchDefinition("dry-run", "check only", IsFlag: true)),
            CommandDefinition.Of("show", "the links"),
        ]),
        new PaletteDefinition("hosts", "the hosts", [CommandDefinition.Of("show", "every host")]) { DefaultCommand = "show" },
    ]);

    [Fact]
    public void A_palettes_help_lists_its_commands()
    {
        var text = PaletteHelp.Write(Hello, ["link"]);
        Assert.Contains("links between VMs", text);
        Assert.Contains("vnet link [command] [options]", text);
        Assert.Contains("create", text);
        Assert.Contains("show", text);
    }

    [Fact]
    public void A_commands_help_lists_its_switches_with_required_and_default()
    {
        var text = PaletteHelp.Write(Hello, ["link", "create"]);
        Assert.Contains("vnet link create [options]", text);
        Assert.Contains("--id <value>", text);
        Assert.Contains("the link's id (required)", text);
        Assert.Contains("the link kind (default raw-p2p)", text);
        Assert.Contains("--dry-run", text);
        Assert.DoesNotContain("--dry-run <", text);
    }

    [Fact]
    public void A_palette_with_a_default_command_says_so()
    {
        Assert.Contains("`vnet hosts` alone runs hosts show", PaletteHelp.Write(Hello, ["hosts"]));
    }

    [Fact]
    public void Help_alone_is_a_table_of_the_palettes()
    {
        var lines = ConsoleClient.Help(Hello).Split('\n');
        Assert.StartsWith("node h1", lines[0]);
        Assert.Matches("^PALETTE +DESCRIPTION +COMMANDS$", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("link ") && l.EndsWith("create, show"));
        Assert.Contains(lines, l => l.StartsWith("hosts ") && l.EndsWith("show (`hosts` alone runs show)"));
    }

    [Theory]
    [InlineData("lnik", "unknown palette 'lnik' (did you mean link?)")]
    [InlineData("link craete", "link: unknown command 'craete' (did you mean create?)")]
    public void A_mistyped_palette_or_command_gets_a_suggestion(string words, string expected)
    {
        var e = Assert.Throws<CommandException>(() => PaletteHelp.Write(Hello, words.Split(' ')));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("lnik show", "unknown palette 'lnik' (did you mean link?)")]
    [InlineData("link craete --id x", "unknown command 'link craete' (did you mean create?)")]
    [InlineData("link create --id x --knid udp-p2p", "unknown switch --knid (did you mean --kind?)")]
    public void The_console_suggests_with_the_same_code(string line, string expected)
    {
        var e = Assert.Throws<CommandException>(() => ConsoleClient.Parse(Hello.Palettes, ConsoleClient.Words(line), json: false));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Global_switches_are_taken_out_of_a_console_line_and_the_rest_stays_in_order()
    {
        var (endpoint, pki, cert, json, words) = ConsoleClient.ParseLine(["-H", "127.0.0.1:9999", "link", "create", "--id", "l1", "--json", "--dry-run", "--pki", "/p"]);
        Assert.Equal(9999, endpoint!.Port);
        Assert.True(json);
        Assert.Equal("/p", pki);
        Assert.Null(cert);
        Assert.Equal(["link", "create", "--id", "l1", "--dry-run"], words);
    }

    [Fact]
    public void A_global_switch_without_its_value_is_a_usage_error()
    {
        var e = Assert.Throws<CommandException>(() => ConsoleClient.ParseLine(["hosts", "-H"]));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains("-H needs a value", e.Message);
    }
}
