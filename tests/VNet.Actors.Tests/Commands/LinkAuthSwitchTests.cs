using System.Collections.Immutable;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Commands.Palettes;
using VNet.Messages;

namespace VNet.Actors.Tests.Commands;

/// <summary>The console's <c>--auth</c> switch: on by default, off on request, set only at creation, never with --encrypt.</summary>
public class LinkAuthSwitchTests
{
    private static CommandRequest Request(string command, params (string Name, string Value)[] args) =>
        new("link", command, args.ToImmutableDictionary(a => a.Name, a => a.Value), false);

    [Fact]
    public void Auth_is_on_unless_turned_off()
    {
        Assert.True(LinkPalette.ParseAuth(Request("create")));
        Assert.True(LinkPalette.ParseAuth(Request("create", ("auth", "on"))));
        Assert.False(LinkPalette.ParseAuth(Request("create", ("auth", "off"))));
        var e = Assert.Throws<CommandException>(() => LinkPalette.ParseAuth(Request("create", ("auth", "maybe"))));
        Assert.Contains("--auth 'maybe' must be on or off", e.Message);
    }

    [Fact]
    public void Encrypt_on_a_link_with_auth_off_is_refused_with_a_clear_error()
    {
        var off = LinkOptions.Default with { Authenticate = false };
        var e = Assert.Throws<CommandException>(() => LinkPalette.ParseOptions(Request("create", ("encrypt", "")), off));
        Assert.Contains("--encrypt cannot be used on a link with --auth off", e.Message);
        Assert.Equal(ExitCodes.Usage, e.Exit);
        Assert.False(LinkPalette.ParseOptions(Request("create", ("compression", "lz4")), off).Authenticate);
    }

    [Fact]
    public void Only_link_create_takes_auth_and_its_help_says_what_off_means()
    {
        var commands = new LinkPalette(null!).Definition.Commands;
        var auth = Assert.Single(commands.Single(c => c.Name == "create").Switches, s => s.Name == "auth");
        Assert.Contains("only for a trusted substrate or for measuring: capsules then carry no tag and are not checked", auth.Description);
        Assert.DoesNotContain(commands.Single(c => c.Name == "set").Switches, s => s.Name == "auth");
        Assert.Equal("auth=off", LinkPalette.Describe(LinkOptions.Default with { Authenticate = false }));
    }
}
