using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using VNet.Actors.Commands;
using VNet.Actors.Networks;
using VNet.Client;
using VNet.Host.CommandLine;
using VNet.Host.Console;
using VNet.Host.Labs;
using VNet.Host.Trust;

namespace VNet.Host;

/// <summary>
/// The <c>vnet</c> command line (System.CommandLine): the verbs that run on this machine (lab, demo,
/// experiment, pki, metrics, top, completion), and the console client for everything else — a
/// palette command of the node (<c>vnet link create --id l1 …</c>) or, with no command, the
/// interactive console.
/// </summary>
public static class Cli
{
    /// <summary>The exit codes of <c>vnet</c>, as <c>vnet --help</c> and docs/cli.md list them.</summary>
    public static readonly (int Code, string Meaning)[] ExitCodeMeanings =
    [
        (ExitCodes.Ok, "success"),
        (ExitCodes.Failed, "the command ran and failed (bad value, unknown link, a node down in lab inspect, a ping without answer...)"),
        (ExitCodes.Usage, "the command line is wrong (unknown verb, command or switch, missing value); the message says which"),
        (ExitCodes.Unreachable, "the node could not be reached"),
        (ExitCodes.Retry, "the topology manager is moving to another node or out of reach: try again later"),
        (130, "interrupted (Ctrl-C) during demo or experiment run"),
    ];

    private const string Description = """
        vnet: VNet's command line. The verbs below run on this machine; anything else is a command of a
        node's console, checked against the palettes the node sends on connect:
          vnet [-H host:port | -S socket | -L lab] [--json] PALETTE COMMAND [--switch value]...
          vnet [-H ... | -S ... | -L ...]        the interactive console; `help` lists the node's palettes
          vnet PALETTE --help, vnet PALETTE COMMAND --help
                                                 a palette's or command's help, from the node
        Without -H, -S or -L: the only lab that is up, else the node at 127.0.0.1:9110 ($VNET_CONSOLE).
        """;

    /// <summary>The verbs <c>vnet</c> runs itself (not console commands), as typed.</summary>
    public static IReadOnlyList<string> LocalVerbs { get; } = [.. Root(TextWriter.Null, TextWriter.Null).Subcommands.Select(c => c.Name)];

    /// <summary>The root command with every local verb; <paramref name="output"/> and <paramref name="error"/> are where they write.</summary>
    public static Command Root(TextWriter output, TextWriter error)
    {
        var root = new Command("vnet", Description);
        foreach (var option in new GlobalOptions().All) root.Options.Add(option);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Subcommands.Add(LabCommands.Build(output));
        root.Subcommands.Add(ToolCommands.Demo(output));
        root.Subcommands.Add(ToolCommands.Experiment(output, error));
        root.Subcommands.Add(ToolCommands.Pki(output));
        root.Subcommands.Add(ToolCommands.Metrics());
        root.Subcommands.Add(ToolCommands.Top());
        root.Subcommands.Add(ShellCompletion.Completion(output));
        root.Subcommands.Add(ShellCompletion.Complete(output));
        return root;
    }

    /// <summary>The section <c>vnet --help</c> ends with.</summary>
    public static string ExitCodesSection() =>
        "Exit codes:\n" + string.Join("\n", ExitCodeMeanings.Select(e => $"  {e.Code,-3} {e.Meaning}")) + "\n";

    /// <summary>
    /// True when <paramref name="args"/> are for the console (a palette command, or no verb at all):
    /// the first word that is not a global switch (or its value) is none of the local verbs.
    /// </summary>
    public static bool IsConsoleLine(IReadOnlyList<string> args) => FirstWord(args) switch
    {
        null => !args.Any(a => a is "--help" or "-h" or "-?" or "--version"),
        var w => !LocalVerbs.Contains(w) && w is not ("--help" or "-h" or "-?" or "--version"),
    };

    /// <summary>The first word of <paramref name="args"/> that is not a global switch or its value.</summary>
    public static string? FirstWord(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (GlobalOptions.WithValue.Contains(args[i])) { i++; continue; }
            if (args[i] == "--json") continue;
            return args[i];
        }
        return null;
    }

    /// <summary>Runs the CLI; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (IsConsoleLine(args)) return await Guarded(() => ConsoleClient.RunAsync(args, System.Console.Out, System.Console.Error), System.Console.Error);
        return await InvokeAsync(Root(System.Console.Out, System.Console.Error), args, System.Console.Out, System.Console.Error);
    }

    /// <summary>Parses <paramref name="args"/> with <paramref name="root"/> and runs the verb; parse errors are usage errors (exit 2).</summary>
    public static async Task<int> InvokeAsync(Command root, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        // No response files: an argument starting with @ is a value, not a file to read.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0 && result.Action is ParseErrorAction)
        {
            foreach (var message in CommandLineErrors.Messages(result)) await error.WriteLineAsync($"error: {message}");
            return ExitCodes.Usage;
        }
        return await Guarded(async () =>
        {
            // The verbs handle Ctrl-C themselves (a lab coming up removes what it built).
            var exit = await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = output, Error = error });
            if (result.Action is HelpAction && result.CommandResult.Command == root) await output.WriteAsync(ExitCodesSection());
            return exit;
        }, error);
    }

    /// <summary>Runs a verb; the errors a user can act on become a message and an exit code, not a stack trace.</summary>
    private static async Task<int> Guarded(Func<Task<int>> verb, TextWriter error)
    {
        try
        {
            return await verb();
        }
        catch (NetworkFileException e)
        {
            foreach (var p in e.Problems) await error.WriteLineAsync($"error: {p}");
            return ExitCodes.Usage;
        }
        catch (PkiException e)
        {
            return Fail(error, ExitCodes.Failed, e.Message);
        }
        catch (ShellException e)
        {
            return Fail(error, ExitCodes.Failed, e.Message);
        }
        catch (CommandException e)
        {
            return Fail(error, e.Exit, e.Message);
        }
    }

    private static int Fail(TextWriter error, int code, string message)
    {
        error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>A lab file by path, or by name under labs/ (two-hosts → labs/two-hosts.xml).</summary>
    public static string ResolveLabFile(string file)
    {
        if (File.Exists(file)) return file;
        foreach (var dir in new[] { "labs", Path.Combine(AppContext.BaseDirectory, "labs") })
        {
            var candidate = Path.Combine(dir, file.EndsWith(".xml") ? file : file + ".xml");
            if (File.Exists(candidate)) return candidate;
        }
        return file;
    }
}
