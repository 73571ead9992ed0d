using System.CommandLine;
using System.CommandLine.Completions;
using VNet.Client;
using VNet.Host.Console;
using VNet.Host.Labs;

namespace VNet.Host.CommandLine;

/// <summary>
/// Shell completion. <c>vnet completion bash</c> prints a script that, at every Tab, calls back
/// <c>vnet complete -- WORDS…</c> (the way dotnet-suggest works): the words typed so far, the last
/// one being completed. The answer comes from the command tree itself — verbs, subcommands,
/// switches, their fixed values and running lab ids — and, for a console command, from the
/// palettes of the node when one is reachable, so it always matches what the node offers.
/// </summary>
public static class ShellCompletion
{
    /// <summary>How long a completion waits for the node's palettes before answering without them.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(1.5);

    /// <summary>The shells a script is printed for (zsh runs it through its bashcompinit).</summary>
    public static readonly string[] Shells = ["bash"];

    /// <summary><c>completion bash</c>.</summary>
    public static Command Completion(TextWriter output)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash (zsh: `autoload -U bashcompinit && bashcompinit` first)" };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command("completion", """
            print a shell completion script: `source <(vnet completion bash)` (in ~/.bashrc to keep it);
            it completes verbs, switches, lab ids and the node's palette commands
            """) { shell };
        command.SetAction(r =>
        {
            output.Write(Script(r.GetValue(shell)!, Environment.ProcessPath ?? "vnet"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>complete -- WORDS…</c>: the completions of the last word, one a line (hidden: the scripts call it).</summary>
    public static Command Complete(TextWriter output)
    {
        var words = new Argument<string[]>("WORDS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("complete", "the completions of the last of WORDS (what the completion scripts call)") { words };
        command.Hidden = true;
        command.SetAction(async (r, cancel) =>
        {
            var typed = r.GetValue(words) ?? [];
            foreach (var c in await CompleteAsync(typed.Length == 0 ? [""] : typed, cancel)) await output.WriteLineAsync(c);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The script for <paramref name="shell"/>, calling <paramref name="binary"/> back.</summary>
    public static string Script(string shell, string binary)
    {
        var quoted = "'" + binary.Replace("'", "'\\''") + "'";
        if (shell != "bash") throw new ArgumentOutOfRangeException(nameof(shell), shell, "only bash has a script");
        return $$"""
            # bash completion for vnet (printed by `vnet completion bash`)
            _vnet() {
                local IFS=$'\n'
                COMPREPLY=($({{quoted}} complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
            }
            complete -o default -F _vnet vnet ./vnet

            """;
    }

    /// <summary>
    /// The completions of the last of <paramref name="words"/> (the words after <c>vnet</c>; the last
    /// may be empty: a new word), sorted.
    /// </summary>
    /// <remarks>Lab and experiment files are looked for under <paramref name="directory"/> (default: the current directory).</remarks>
    public static async Task<IReadOnlyList<string>> CompleteAsync(IReadOnlyList<string> words, CancellationToken cancel = default, string? directory = null)
    {
        var current = words[^1];
        var before = words.Take(words.Count - 1).ToList();
        if (before.Count > 0 && before[^1] is "-L" or "--lab") return Matching(LabState.Running().Select(s => s.Id), current);
        if (before.Count > 0 && before[^1] is "-H" or "-S" or "--pki" or "--cert") return [];
        var root = Cli.Root(TextWriter.Null, TextWriter.Null);
        var first = Cli.FirstWord(before);
        if (first is not null && Cli.LocalVerbs.Contains(first)) return Local(root, before, current, directory ?? Environment.CurrentDirectory);
        var palettes = await PalettesAsync(before, cancel);
        if (first is null)
            return Matching(Cli.LocalVerbs.Where(v => v != "complete").Concat(palettes.Select(p => p.Name))
                .Concat(current.StartsWith('-') ? root.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)) : []), current);
        var context = string.Join(" ", WithoutGlobals(before).Select(w => w.Contains(' ') ? $"\"{w}\"" : w));
        return PaletteCompletion.Complete(palettes, context + " ", current).ToList();
    }

    /// <summary>Completions of a local verb's line: walks the command tree along the words typed.</summary>
    public static IReadOnlyList<string> Local(Command root, IReadOnlyList<string> before, string current, string directory)
    {
        var at = root;
        Option? pending = null;
        string? labId = null;
        var positional = 0;
        foreach (var word in before)
        {
            if (word == "--") return []; // a command for another program (lab exec): the shell completes files
            if (pending is not null)
            {
                if (pending.Name == "--lab") labId = word;
                pending = null;
                continue;
            }
            var option = Options(at).FirstOrDefault(o => o.Name == word || o.Aliases.Contains(word));
            if (option is not null)
            {
                if (option.ValueType != typeof(bool)) pending = option;
                continue;
            }
            if (at.Subcommands.FirstOrDefault(c => c.Name == word) is { } sub) { at = sub; positional = 0; }
            else positional++;
        }
        if (pending is not null)
            return pending.Name == "--lab"
                ? Matching(LabState.Running().Select(s => s.Id), current)
                : Matching(pending.GetCompletions(CompletionContext.Empty).Select(c => c.Label), current);
        var argument = positional < at.Arguments.Count ? at.Arguments[positional] : null;
        var candidates = at.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)
            .Concat(argument?.GetCompletions(CompletionContext.Empty).Select(c => c.Label) ?? [])
            .Concat(argument is null || current.StartsWith('-') ? [] : Names(at.Name, argument.Name, labId, directory));
        if (current.StartsWith('-'))
            candidates = candidates.Concat(Options(at).Where(o => !o.Hidden && !before.Contains(o.Name)).SelectMany(o => o.Aliases.Prepend(o.Name)));
        return Matching(candidates, current);
    }

    /// <summary>
    /// The values an argument of <paramref name="verb"/> takes: the hosts, nodes or VMs of the lab
    /// (the one named with -L, or the only one up), the running labs, the lab files under labs/ (by
    /// name) and the experiment files under experiments/.
    /// </summary>
    private static IEnumerable<string> Names(string verb, string argument, string? labId, string directory)
    {
        var experiments = Path.Combine(directory, "experiments");
        var labs = Path.Combine(directory, "labs");
        if (argument == "FILE" && verb is "check" or "run")
            return Directory.Exists(experiments) ? Directory.GetFiles(experiments, "*.xml").Select(f => Path.Combine("experiments", Path.GetFileName(f))) : [];
        if (argument == "FILE") return Directory.Exists(labs) ? Directory.GetFiles(labs, "*.xml").Select(Path.GetFileNameWithoutExtension).OfType<string>() : [];
        if (argument == "ID|FILE") return LabState.Running().Select(s => s.Id);
        var running = LabState.Running();
        var state = labId is not null ? LabState.Read(labId) : running.Count == 1 ? running[0] : null;
        if (state is null) return [];
        return argument switch
        {
            "HOST" => state.Hosts.Select(h => h.Name),
            "NODE" => state.Namespaces.Select(n => n[state.Prefix.Length..]),
            "FROM" or "TO" => VmsOf(state),
            _ => [],
        };
    }

    private static IEnumerable<string> VmsOf(LabState state)
    {
        try
        {
            return [.. LabFile.Load(state.File).Vms.Select(v => v.Name)];
        }
        catch (Exception e) when (e is VNet.Actors.Networks.NetworkFileException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static IEnumerable<Option> Options(Command command)
    {
        // The recursive options of the parents (--help) are found on the command itself as well.
        var own = command.Options.ToList();
        return own.Concat(own.Any(o => o.Name == "--help") ? [] : [new System.CommandLine.Help.HelpOption()]);
    }

    private static List<string> Matching(IEnumerable<string> candidates, string current) =>
        [.. candidates.Where(c => c.StartsWith(current, StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal)];

    private static IEnumerable<string> WithoutGlobals(IReadOnlyList<string> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (GlobalOptions.WithValue.Contains(words[i])) { i++; continue; }
            if (words[i] == "--json") continue;
            yield return words[i];
        }
    }

    /// <summary>The palettes of the node the words name (or the default one), or none when it does not answer in time.</summary>
    private static async Task<System.Collections.Immutable.ImmutableArray<PaletteDefinition>> PalettesAsync(IReadOnlyList<string> before, CancellationToken cancel)
    {
        try
        {
            var (named, pki, cert, _, _) = ConsoleClient.ParseLine(before);
            var endpoint = ConsoleClient.EndpointOf(named);
            if (pki is not null) endpoint = endpoint with { PkiDirectory = pki };
            if (cert is not null) endpoint = endpoint with { CertificateName = cert };
            await using var connection = await ConsoleConnection.ConnectAsync(endpoint, NodeTimeout, cancel, ConsolePki.AuthenticateAsync);
            return connection.Hello.Palettes;
        }
        catch (Exception e) when (e is CommandException or IOException or UnauthorizedAccessException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return [];
        }
    }
}
