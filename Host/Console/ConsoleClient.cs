using System.Collections.Immutable;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Networks;
using VNet.Host.CommandLine;
using VNet.Host.Labs;
using System.CommandLine;

namespace VNet.Host.Console;

/// <summary>
/// The <c>vnet</c> console client: one-shot (<c>vnet [-H host:port | -S socket | -L lab] [--json] palette command --switch value</c>)
/// or interactive (no command: prompt <c>[host:port] vnet&gt;</c>). Command lines are checked
/// against the palettes the node sent on connect, so `help` always matches the node.
/// </summary>
public static class ConsoleClient
{
    /// <summary>Runs the client; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            var (endpoint, pki, cert, json, words) = ParseLine(args);
            endpoint ??= DefaultEndpoint();
            if (pki is not null) endpoint = endpoint with { PkiDirectory = pki };
            if (cert is not null) endpoint = endpoint with { CertificateName = cert };
            ConsoleConnection connection;
            try
            {
                connection = await ConsoleConnection.ConnectAsync(endpoint, tls: ConsolePki.AuthenticateAsync);
            }
            catch (CommandException e) when (e.Exit == ExitCodes.Unreachable && words.Count == 0 && LabState.Running().Count == 0)
            {
                throw new CommandException($"{e.Message}. No lab is up either: `vnet lab up labs/two-hosts.xml` builds one, `vnet -H host:port` names a node, `vnet --help` lists the verbs", e.Exit);
            }
            catch (CommandException e) when (e.Exit == ExitCodes.Unreachable && words.Count > 0 && Suggestions.Closest(words[0], Cli.LocalVerbs).Count > 0)
            {
                // Most likely a mistyped verb, not a palette of a node that is down.
                throw new CommandException($"unknown verb '{words[0]}'{Suggestions.DidYouMean(words[0], Cli.LocalVerbs)} (and no node to ask for its palettes: {e.Message})", ExitCodes.Usage);
            }
            await using var _ = connection;
            if (words.Count == 0) return await new Repl(endpoint, connection, output, error).RunAsync();
            if (!WantsHelp(words) && connection.Hello.Palettes.All(p => p.Name != words[0]))
            {
                var names = connection.Hello.Palettes.Select(p => p.Name).ToList();
                throw new CommandException($"'{words[0]}' is neither a vnet verb nor a palette of {connection.Hello.Node}{Suggestions.DidYouMean(words[0], names.Concat(Cli.LocalVerbs))} (verbs: {string.Join(", ", Cli.LocalVerbs.Where(v => v != "complete"))}; palettes: {string.Join(", ", names)})", ExitCodes.Usage);
            }
            return await RunInterruptible(connection, words, json, output, error);
        }
        catch (CommandException e)
        {
            error.WriteLine($"error: {e.Message}");
            return e.Exit;
        }
    }

    /// <summary>
    /// The global switches (<c>-H</c>, <c>-S</c>, <c>-L/--lab</c>, <c>--json</c>, <c>--pki</c>, <c>--cert</c>)
    /// and the words of the console command around them, read by System.CommandLine.
    /// </summary>
    public static (ConsoleEndpoint? Endpoint, string? Pki, string? Cert, bool Json, List<string> Words) ParseLine(IReadOnlyList<string> args)
    {
        var globals = new GlobalOptions();
        var words = new Argument<string[]>("PALETTE COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        var line = new Command("vnet") { words };
        foreach (var option in globals.All) line.Options.Add(option);
        var result = line.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0) throw new CommandException(string.Join("; ", CommandLineErrors.Messages(result)), ExitCodes.Usage);
        var endpoint = result.GetValue(globals.Host) is { } tcp ? ConsoleEndpoint.Tcp(tcp)
            : result.GetValue(globals.Socket) is { } unix ? ConsoleEndpoint.Unix(unix)
            : result.GetValue(globals.Lab) is { } lab ? LabEndpoint(lab)
            : null;
        return (endpoint, result.GetValue(globals.Pki), result.GetValue(globals.Cert), result.GetValue(globals.Json), [.. result.GetValue(words) ?? []]);
    }

    /// <summary>The endpoint the global switches name, else the only lab that is up, else this machine's node.</summary>
    public static ConsoleEndpoint EndpointOf(ConsoleEndpoint? named) => named ?? DefaultEndpoint();

    private static bool WantsHelp(IReadOnlyList<string> words) => words[0] == "help" || words.Any(w => w is "--help" or "-h");

    /// <summary>
    /// One command line outside the console: Ctrl-C ends a streaming command (a capture, a tail)
    /// cleanly, and so does the reader of standard output going away; closing the connection on the
    /// way out is what stops the command on the node.
    /// </summary>
    private static async Task<int> RunInterruptible(ConsoleConnection connection, IReadOnlyList<string> words, bool json, TextWriter output, TextWriter error)
    {
        using var interrupt = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            interrupt.Cancel();
        }
        System.Console.CancelKeyPress += OnCancel;
        try
        {
            return await RunOne(connection, words, json, output, error, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            error.WriteLine("stopped (Ctrl-C)");
            return ExitCodes.Ok;
        }
        catch (OutputStoppedException e)
        {
            error.WriteLine(e.Exit == ExitCodes.Ok ? e.Message : $"error: {e.Message}");
            return e.Exit;
        }
        finally
        {
            System.Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>The first host of a running lab.</summary>
    public static ConsoleEndpoint LabEndpoint(string lab)
    {
        var state = LabState.Read(lab) ?? throw new CommandException($"lab '{lab}' is not up (running labs: {string.Join(", ", LabState.Running().Select(s => s.Name)).NullIfEmpty() ?? "none"})", ExitCodes.Usage);
        return ConsoleEndpoint.Unix(state.Hosts[0].Socket);
    }

    private static ConsoleEndpoint DefaultEndpoint()
    {
        if (Environment.GetEnvironmentVariable("VNET_CONSOLE") is { Length: > 0 } env)
            return env.StartsWith('/') ? ConsoleEndpoint.Unix(env) : ConsoleEndpoint.Tcp(env);
        var labs = LabState.Running();
        return labs.Count switch
        {
            1 => ConsoleEndpoint.Unix(labs[0].Hosts[0].Socket),
            > 1 => throw new CommandException($"several labs are up ({string.Join(", ", labs.Select(l => l.Name))}): pick one with -L NAME, or a node with -H host:port", ExitCodes.Usage),
            _ => new ConsoleEndpoint("127.0.0.1", 9110, null),
        };
    }

    /// <summary>Runs one command line on <paramref name="connection"/> and prints its output; returns the exit code.</summary>
    public static async Task<int> RunOne(ConsoleConnection connection, IReadOnlyList<string> words, bool json, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        if (words[0] is "help" or "--help" or "-h")
        {
            output.WriteLine(words.Count == 1 ? Help(connection.Hello) : PaletteHelp.Write(connection.Hello, words.Skip(1).ToList()));
            return ExitCodes.Ok;
        }
        if (words.Any(w => w is "--help" or "-h"))
        {
            output.WriteLine(PaletteHelp.Write(connection.Hello, words.TakeWhile(w => w is not ("--help" or "-h")).ToList()));
            return ExitCodes.Ok;
        }
        var request = Parse(connection.Hello.Palettes, words, json);
        using var file = new OutputFile(OutputFileOf(request));
        file.CheckWritable(OutputFiles.FirstOrDefault(o => o.Palette == request.Palette && o.Command == request.Command).Switch ?? "file");
        // With the file on standard output, everything else the command prints goes to standard error.
        var text = file.IsStandardOutput ? error : output;
        var end = ExitCodes.Ok;
        await foreach (var line in connection.RunAsync(request, cancel))
        {
            if (line is ConsoleLine.File f)
            {
                if (!file.Write(f, error)) end = ExitCodes.Failed;
                continue;
            }
            TableRenderer.Write(line, text, error);
            if (line is ConsoleLine.End e && (e.Exit != ExitCodes.Ok || end == ExitCodes.Ok)) end = e.Exit;
        }
        return end;
    }

    /// <summary>
    /// The switches whose value names a file the client reads and sends. Fixed here, not taken from
    /// the node's greeting: a node must never make the client read a file for it.
    /// </summary>
    private static readonly (string Palette, string Command, string Switch)[] InputFiles = [("net", "load", "file")];

    /// <summary>
    /// The switches whose value names the file the client writes a command's file output to. Fixed
    /// here for the same reason: the node chooses neither whether the client writes nor where.
    /// </summary>
    private static readonly (string Palette, string Command, string Switch)[] OutputFiles = [("net", "save", "file"), ("link", "capture", "file")];

    /// <summary>The file the user asked this request to write, or null: the only file its output may go to.</summary>
    public static string? OutputFileOf(CommandRequest request) =>
        OutputFiles.Where(o => o.Palette == request.Palette && o.Command == request.Command)
            .Select(o => request.Args.GetValueOrDefault(o.Switch)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>Turns words into a request, checking them against the palettes.</summary>
    public static CommandRequest Parse(ImmutableArray<PaletteDefinition> palettes, IReadOnlyList<string> words, bool json)
    {
        var palette = palettes.FirstOrDefault(p => p.Name == words[0])
            ?? throw new CommandException($"unknown palette '{words[0]}'{Suggestions.DidYouMean(words[0], palettes.Select(p => p.Name))} (palettes: {string.Join(", ", palettes.Select(p => p.Name))}; try `help`)", ExitCodes.Usage);
        if (palette.DefaultCommand is { } implied && (words.Count < 2 || words[1].StartsWith("--", StringComparison.Ordinal)))
            words = [words[0], implied, .. words.Skip(1)]; // `vnet hosts`, `vnet discover --want 2`
        if (words.Count < 2) throw new CommandException($"{palette.Name}: which command? ({string.Join(", ", palette.Commands.Select(c => c.Name))})", ExitCodes.Usage);
        var command = palette.Commands.FirstOrDefault(c => c.Name == words[1])
            ?? throw new CommandException($"unknown command '{palette.Name} {words[1]}'{Suggestions.DidYouMean(words[1], palette.Commands.Select(c => c.Name))} (commands: {string.Join(", ", palette.Commands.Select(c => c.Name))})", ExitCodes.Usage);
        var args = ImmutableDictionary.CreateBuilder<string, string>();
        for (var i = 2; i < words.Count; i++)
        {
            var w = words[i];
            if (!w.StartsWith("--")) throw new CommandException($"{palette.Name} {command.Name}: unexpected '{w}' (switches are written --name value)", ExitCodes.Usage);
            var name = w[2..];
            string? inline = null;
            if (name.Contains('=')) { inline = name[(name.IndexOf('=') + 1)..]; name = name[..name.IndexOf('=')]; }
            var sw = command.Switches.FirstOrDefault(s => s.Name == name)
                ?? throw new CommandException($"{palette.Name} {command.Name}: unknown switch --{name}{Suggestions.DidYouMean("--" + name, command.Switches.Select(s => "--" + s.Name))} (switches: {string.Join(", ", command.Switches.Select(s => "--" + s.Name)).NullIfEmpty() ?? "none"})", ExitCodes.Usage);
            if (sw.IsFlag) { args[name] = inline ?? "true"; continue; }
            if (inline is null && (i + 1 >= words.Count || words[i + 1].StartsWith("--")))
                throw new CommandException($"{palette.Name} {command.Name}: --{name} needs a value ({sw.Description})", ExitCodes.Usage);
            args[name] = inline ?? words[++i];
            if (InputFiles.Contains((palette.Name, command.Name, name)))
                args["@" + name] = ReadInputFile(name, args[name]);
        }
        foreach (var missing in command.Switches.Where(s => s.Required && !args.ContainsKey(s.Name)))
            throw new CommandException($"{palette.Name} {command.Name}: --{missing.Name} is required ({missing.Description})", ExitCodes.Usage);
        return new CommandRequest(palette.Name, command.Name, args.ToImmutable(), json);
    }

    /// <summary>
    /// An input file as base64, refused here already when it is over the network-file size limit
    /// (reading at most one byte past it); the node checks the size again and everything else.
    /// </summary>
    private static string ReadInputFile(string name, string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            if (BoundedXml.SizeProblem(stream, path, XmlFileLimits.Default, out var bytes) is { } tooLarge)
                throw new CommandException($"{tooLarge}; nothing was sent", ExitCodes.Failed);
            return Convert.ToBase64String(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"--{name} {path}: {e.Message}", ExitCodes.Usage);
        }
    }

    /// <summary>The node's palettes as <c>help</c> lists them: a table of names, descriptions and commands.</summary>
    public static string Help(ConsoleLine.Hello hello)
    {
        var table = new ConsoleLine.Table($"node {hello.Node} ({hello.Address}); palettes:", ["palette", "description", "commands"],
            [.. hello.Palettes.Select(p => ImmutableArray.Create(p.Name, p.Description,
                string.Join(", ", p.Commands.Select(c => c.Name)) + (p.DefaultCommand is { } d ? $" (`{p.Name}` alone runs {d})" : "")))]);
        return TableRenderer.Render(TableRenderer.Printable(table))
            + "\n`help PALETTE` or `PALETTE --help` lists a palette's commands, `PALETTE COMMAND --help` a command's switches; add --json to any command for JSON output.";
    }

    /// <summary>Splits a command line into words, honouring double quotes.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }
}

internal static class StringExtensions
{
    public static string? NullIfEmpty(this string s) => s.Length == 0 ? null : s;
}
