using System.CommandLine;
using System.CommandLine.Parsing;

namespace VNet.Host.CommandLine;

/// <summary>
/// A command line the parser refused, said the way the rest of <c>vnet</c> says errors: which verb,
/// what is wrong, and for a mistyped word the names it is close to.
/// </summary>
public static class CommandLineErrors
{
    /// <summary>One message per problem of <paramref name="result"/>, each starting with the verb it is about.</summary>
    public static IReadOnlyList<string> Messages(ParseResult result)
    {
        var at = result.CommandResult;
        var path = Path(at);
        var messages = new List<string>();
        var known = at.Command.Subcommands.Where(c => !c.Hidden).SelectMany(Names)
            .Concat(OptionsOf(at).Where(o => !o.Hidden).SelectMany(Names)).ToList();
        foreach (var token in result.UnmatchedTokens)
        {
            var what = token.StartsWith('-') ? "switch" : at.Command.Subcommands.Count > 0 ? "verb" : "word";
            messages.Add($"{path}: unknown {what} '{token}'{Suggestions.DidYouMean(token, known)}{Listing(at.Command, token)}");
        }
        var needsVerb = at.Command.Subcommands.Count > 0 && at.Command.Action is null;
        if (needsVerb && result.UnmatchedTokens.Count == 0)
            messages.Add($"{path}: which one? ({string.Join(", ", at.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}; `{path} --help` says more)");
        var missing = at.Command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && (result.GetResult(a)?.Tokens.Count ?? 0) < a.Arity.MinimumNumberOfValues).ToList();
        foreach (var argument in missing)
            messages.Add($"{path}: {argument.Name} is missing ({argument.Description}); usage: {Usage(at.Command, path)}");
        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case ArgumentResult a when missing.Contains(a.Argument):
                case CommandResult when missing.Count > 0 && error.Message.StartsWith("Required argument missing", StringComparison.Ordinal):
                    break; // said above
                case OptionResult { Tokens.Count: 0, Option.Arity.MinimumNumberOfValues: > 0 } option:
                    messages.Add($"{path}: {option.IdentifierToken?.Value ?? option.Option.Name} needs a value ({option.Option.HelpName ?? "a value"})");
                    break;
                case CommandResult when needsVerb || result.UnmatchedTokens.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)):
                    break; // said above
                default:
                    messages.Add($"{path}: {error.Message}");
                    break;
            }
        }
        return [.. messages.Distinct()];
    }

    private static string Usage(Command command, string path) =>
        string.Join(" ", command.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[{a.Name}]" : a.Name).Prepend(path)) + (command.Options.Count > 0 ? " [options]" : "");

    /// <summary>"vnet lab inspect": the command and its parents.</summary>
    public static string Path(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        return string.Join(" ", names);
    }

    /// <summary>The options a command accepts: its own and the recursive ones of its parents.</summary>
    public static IEnumerable<Option> OptionsOf(CommandResult result)
    {
        foreach (var o in result.Command.Options) yield return o;
        for (var r = result.Parent as CommandResult; r is not null; r = r.Parent as CommandResult)
            foreach (var o in r.Command.Options.Where(o => o.Recursive)) yield return o;
    }

    private static IEnumerable<string> Names(Symbol symbol) => symbol switch
    {
        Command c => c.Aliases.Prepend(c.Name),
        Option o => o.Aliases.Prepend(o.Name),
        _ => [symbol.Name],
    };

    /// <summary>For a word where a verb was expected and nothing is close: the verbs there are.</summary>
    private static string Listing(Command command, string token) =>
        command.Subcommands.Count == 0 || token.StartsWith('-') || Suggestions.Closest(token, command.Subcommands.Select(c => c.Name)).Count > 0
            ? ""
            : $"; verbs: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
}
