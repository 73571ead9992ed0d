using System.Collections.Immutable;
using System.CommandLine;
using System.CommandLine.Help;
using VNet.Actors.Commands;
using VNet.Client;

namespace VNet.Host.CommandLine;

/// <summary>
/// <c>vnet PALETTE --help</c> and <c>vnet PALETTE COMMAND --help</c>: the palettes the node sent on
/// connect, turned into System.CommandLine commands so their help reads like that of the local verbs.
/// The node's definitions are only described here; the console client still checks and sends the
/// command line itself.
/// </summary>
public static class PaletteHelp
{
    /// <summary>A command tree <c>vnet PALETTE COMMAND --switch</c> of <paramref name="palettes"/>.</summary>
    public static Command Tree(ImmutableArray<PaletteDefinition> palettes)
    {
        var root = new Command("vnet", "the palettes of the node") { new HelpOption() };
        foreach (var palette in palettes)
        {
            var paletteCommand = new Command(palette.Name, palette.Description + (palette.DefaultCommand is { } d ? $" (`vnet {palette.Name}` alone runs {palette.Name} {d})" : ""));
            foreach (var definition in palette.Commands)
            {
                var command = new Command(definition.Name, definition.Description);
                foreach (var s in definition.Switches) command.Options.Add(Option(s));
                command.Options.Add(new Option<bool>("--json") { Description = "print the reply records as JSON" });
                paletteCommand.Subcommands.Add(command);
            }
            root.Subcommands.Add(paletteCommand);
        }
        return root;
    }

    private static Option Option(SwitchDefinition s)
    {
        var description = s.Description + (s.Required ? " (required)" : "") + (s.Default is null ? "" : $" (default {s.Default})");
        return s.IsFlag
            ? new Option<bool>("--" + s.Name) { Description = description }
            : new Option<string>("--" + s.Name) { Description = description, HelpName = "value" };
    }

    /// <summary>
    /// The help of the palette or command <paramref name="words"/> name (the words before
    /// <c>--help</c>; switches among them are ignored). A mistyped palette or command is a usage
    /// error with the names it is close to, as for the local verbs.
    /// </summary>
    public static string Write(ConsoleLine.Hello hello, IReadOnlyList<string> words)
    {
        var tree = Tree(hello.Palettes);
        Command at = tree;
        foreach (var word in words.Where(w => !w.StartsWith('-')).Take(2))
        {
            at = at.Subcommands.FirstOrDefault(c => c.Name == word) ?? throw new CommandException(
                at == tree
                    ? $"unknown palette '{word}'{Suggestions.DidYouMean(word, hello.Palettes.Select(p => p.Name).Concat(Cli.LocalVerbs))} (palettes of {hello.Node}: {string.Join(", ", hello.Palettes.Select(p => p.Name))})"
                    : $"{at.Name}: unknown command '{word}'{Suggestions.DidYouMean(word, at.Subcommands.Select(c => c.Name))} (commands: {string.Join(", ", at.Subcommands.Select(c => c.Name))})",
                ExitCodes.Usage);
        }
        if (at == tree) return ConsoleClientHelp(hello);
        var text = new StringWriter();
        tree.Parse([.. words.Where(w => !w.StartsWith('-')).Take(2), "--help"]).Invoke(new InvocationConfiguration { Output = text, Error = text });
        return text.ToString().TrimEnd();
    }

    private static string ConsoleClientHelp(ConsoleLine.Hello hello) => Console.ConsoleClient.Help(hello);
}
