using System.Collections.Immutable;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Console;

namespace VNet.Host.Tests.Console;

public class ConsoleClientTests
{
    private static readonly ImmutableArray<PaletteDefinition> Palettes =
    [
        new("link", "links", [
            CommandDefinition.Of("create", "create", new SwitchDefinition("id", "id", Required: true), new SwitchDefinition("vms", "vms", Required: true), new SwitchDefinition("dry", "flag", IsFlag: true)),
            CommandDefinition.Of("show", "show"),
        ]),
    ];

    [Fact]
    public void Words_become_a_request_checked_against_the_palettes()
    {
        var r = ConsoleClient.Parse(Palettes, ["link", "create", "--id", "l1", "--vms=vm1,vm2", "--dry"], json: true);
        Assert.Equal(("link", "create", true), (r.Palette, r.Command, r.Json));
        Assert.Equal("l1", r.Args["id"]);
        Assert.Equal("vm1,vm2", r.Args["vms"]);
        Assert.Equal("true", r.Args["dry"]);
    }

    [Theory]
    [InlineData("nope show", "unknown palette 'nope'")]
    [InlineData("link", "which command")]
    [InlineData("link fly", "unknown command 'link fly'")]
    [InlineData("link create --id l1", "--vms is required")]
    [InlineData("link create --id l1 --vms a,b --colour red", "unknown switch --colour")]
    [InlineData("link create --id --vms a,b", "--id needs a value")]
    [InlineData("link create l1", "unexpected 'l1'")]
    public void Bad_command_lines_are_usage_errors_that_name_the_problem(string line, string expected)
    {
        var e = Assert.Throws<CommandException>(() => ConsoleClient.Parse(Palettes, ConsoleClient.Words(line), json: false));
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Quoted_words_stay_together()
    {
        Assert.Equal(["link", "capture", "--filter", "icmp or arp"], ConsoleClient.Words("link capture --filter \"icmp or arp\""));
    }

    [Fact]
    public void Console_lines_survive_the_wire()
    {
        ConsoleLine line = new ConsoleLine.End(2, "bad");
        Assert.Equal(line, ConsoleLine.Parse(line.ToJson()));
        var file = new ConsoleLine.File("x.pcap", "AAEC") { Append = true };
        Assert.Equal(file, ConsoleLine.Parse(file.ToJson()));
    }

    [Fact]
    public async Task An_unreachable_node_is_exit_code_3_with_the_address_in_the_message()
    {
        var error = new StringWriter();
        // Port 1 on loopback: nothing listens there.
        var code = await ConsoleClient.RunAsync(["-H", "127.0.0.1:1", "cluster", "show"], TextWriter.Null, error);
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("127.0.0.1:1", error.ToString());
    }

    [Fact]
    public async Task A_bad_port_is_a_usage_error()
    {
        var error = new StringWriter();
        var code = await ConsoleClient.RunAsync(["-H", "127.0.0.1:99999", "cluster", "show"], TextWriter.Null, error);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'99999' is not a port number", error.ToString());
    }
}
