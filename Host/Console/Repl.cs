using System.Collections.Immutable;
using RadLine;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Labs;

namespace VNet.Host.Console;

/// <summary>
/// The interactive console (<c>vnet</c> with no command): a line editor (RadLine) with history kept
/// across sessions (<c>~/.vnet_history</c>, Up/Down), Tab completion from the palettes the node sent,
/// Ctrl-U/Ctrl-A/Ctrl-E, a prompt naming the node and its lab. Ctrl-C stops the running command and
/// returns to the prompt (at the prompt it clears the line; Ctrl-D or <c>exit</c> leaves). When the
/// node goes away the console says so and connects again before the next command.
/// </summary>
public sealed class Repl
{
    /// <summary>Lines of history kept in the history file.</summary>
    public const int HistoryLines = 1000;

    private readonly ConsoleEndpoint _endpoint;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly string _historyFile;
    private readonly List<string> _history;
    private ConsoleConnection? _connection;
    private ImmutableArray<PaletteDefinition> _palettes = [];
    private CancellationTokenSource? _running;

    /// <summary>A console on <paramref name="endpoint"/>, already connected through <paramref name="connection"/>.</summary>
    public Repl(ConsoleEndpoint endpoint, ConsoleConnection connection, TextWriter output, TextWriter error, string? historyFile = null)
    {
        _endpoint = endpoint;
        _connection = connection;
        _palettes = connection.Hello.Palettes;
        _output = output;
        _error = error;
        _historyFile = historyFile ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".vnet_history");
        _history = ReadHistory(_historyFile);
    }

    /// <summary>The prompt: the node's name, its lab when it is a lab node, and whether it is connected.</summary>
    public string Prompt => _connection is { } c
        ? $"vnet {c.Hello.Node}{LabOf(_endpoint) switch { { } lab => $"@{lab}", _ => "" }}>"
        : $"vnet ({_endpoint}, disconnected)>";

    /// <summary>Runs until <c>exit</c>, Ctrl-D or the end of input; returns the last command's exit code.</summary>
    public async Task<int> RunAsync()
    {
        var editor = new LineEditor { Completion = new PaletteCompletion(() => _palettes), Prompt = new LivePrompt(() => Prompt) };
        editor.KeyBindings.Add<PreviousHistoryCommand>(ConsoleKey.UpArrow);
        editor.KeyBindings.Add<NextHistoryCommand>(ConsoleKey.DownArrow);
        editor.KeyBindings.Add<MoveHomeCommand>(ConsoleKey.A, ConsoleModifiers.Control);
        editor.KeyBindings.Add<MoveEndCommand>(ConsoleKey.E, ConsoleModifiers.Control);
        editor.KeyBindings.Add(ConsoleKey.U, ConsoleModifiers.Control, () => new ClearLineCommand());
        editor.KeyBindings.Add(ConsoleKey.D, ConsoleModifiers.Control, () => new EndOfInputCommand());
        foreach (var line in _history) editor.History.Add(line);
        // Ctrl-C while a command runs stops that command; the console stays.
        System.Console.CancelKeyPress += OnCancel;
        _output.WriteLine($"connected to {_connection?.Hello.Node} ({_connection?.Hello.Address}); Tab completes, Up recalls, `help` lists commands, Ctrl-C stops a command, Ctrl-D or `exit` leaves.");
        var last = ExitCodes.Ok;
        try
        {
            while (true)
            {
                var line = await editor.ReadLine(CancellationToken.None);
                if (line is null) break;
                line = line.Trim();
                if (line is "exit" or "quit") break;
                if (line.Length == 0) continue;
                Remember(editor, line);
                if (line == "history")
                {
                    for (var i = 0; i < _history.Count; i++) _output.WriteLine($"{i + 1,4}  {_history[i]}");
                    continue;
                }
                last = await RunLineAsync(line);
            }
        }
        finally
        {
            System.Console.CancelKeyPress -= OnCancel;
            if (_connection is { } c) await c.DisposeAsync();
        }
        return last;
    }

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _running?.Cancel();
    }

    /// <summary>Runs one command line; a lost node or Ctrl-C ends the command, never the console.</summary>
    public async Task<int> RunLineAsync(string line)
    {
        if (!await EnsureConnectedAsync()) return ExitCodes.Unreachable;
        var words = ConsoleClient.Words(line);
        var json = words.Remove("--json");
        using var running = new CancellationTokenSource();
        _running = running;
        try
        {
            return await ConsoleClient.RunOne(_connection!, words, json, _output, _error, running.Token);
        }
        catch (OperationCanceledException) when (running.IsCancellationRequested)
        {
            _error.WriteLine("stopped (Ctrl-C)");
            // The node stops the command when its connection closes; the console connects again at once.
            await DropAsync();
            await EnsureConnectedAsync(quiet: true);
            return ExitCodes.Failed;
        }
        catch (OutputStoppedException e)
        {
            _error.WriteLine(e.Exit == ExitCodes.Ok ? e.Message : $"error: {e.Message}");
            // The connection is mid-answer: drop it (the node stops the command) and connect again.
            await DropAsync();
            await EnsureConnectedAsync(quiet: true);
            return e.Exit;
        }
        catch (CommandException e)
        {
            _error.WriteLine($"error: {e.Message}");
            if (e.Exit == ExitCodes.Unreachable) await DropAsync();
            return e.Exit;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _error.WriteLine($"error: the connection to {_endpoint} was lost ({e.Message}); the next command connects again");
            await DropAsync();
            return ExitCodes.Unreachable;
        }
        finally
        {
            _running = null;
        }
    }

    private async Task<bool> EnsureConnectedAsync(bool quiet = false)
    {
        if (_connection is not null) return true;
        try
        {
            _connection = await ConsoleConnection.ConnectAsync(_endpoint, TimeSpan.FromSeconds(3), tls: ConsolePki.AuthenticateAsync);
            _palettes = _connection.Hello.Palettes;
            if (!quiet) _error.WriteLine($"connected again to {_connection.Hello.Node} ({_connection.Hello.Address})");
            return true;
        }
        catch (CommandException e)
        {
            _error.WriteLine($"error: {e.Message}; not connected (the next command tries again)");
            return false;
        }
    }

    private async Task DropAsync()
    {
        if (_connection is { } c) await c.DisposeAsync();
        _connection = null;
    }

    private void Remember(LineEditor editor, string line)
    {
        editor.History.Add(line);
        _history.Add(line);
        try
        {
            if (_history.Count > HistoryLines * 2)
            {
                _history.RemoveRange(0, _history.Count - HistoryLines);
                File.WriteAllLines(_historyFile, _history);
            }
            else File.AppendAllLines(_historyFile, [line]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static List<string> ReadHistory(string file)
    {
        try
        {
            return File.Exists(file) ? [.. File.ReadLines(file).Where(l => l.Length > 0).TakeLast(HistoryLines)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The lab whose node listens on <paramref name="endpoint"/>'s socket, if any.</summary>
    private static string? LabOf(ConsoleEndpoint endpoint) =>
        endpoint.UnixPath is { } path ? LabState.Running().FirstOrDefault(l => l.Hosts.Any(h => h.Socket == path))?.Id : null;

    /// <summary>A prompt read again for every line (it names the node the console is connected to now).</summary>
    private sealed class LivePrompt(Func<string> text) : ILineEditorPrompt
    {
        public (Spectre.Console.Markup Markup, int Margin) GetPrompt(ILineEditorState state, int line) =>
            (new Spectre.Console.Markup(Spectre.Console.Markup.Escape(text())), 1);
    }

    /// <summary>Ctrl-D on an empty line: leave, as a shell does.</summary>
    private sealed class EndOfInputCommand : LineEditorCommand
    {
        public override void Execute(LineEditorContext context)
        {
            if (context.Buffer.Content.Length > 0) return;
            context.Buffer.Insert("exit");
            context.Submit(SubmitAction.Submit);
        }
    }

    /// <summary>Ctrl-U: the whole line goes.</summary>
    private sealed class ClearLineCommand : LineEditorCommand
    {
        public override void Execute(LineEditorContext context)
        {
            var buffer = context.Buffer;
            buffer.MoveEnd();
            while (buffer.Position > 0)
            {
                buffer.Clear(buffer.Position - 1, 1);
                buffer.MoveLeft();
            }
        }
    }
}

/// <summary>
/// Tab completion from the node's palettes: the first word completes to a palette (or a console word
/// such as <c>help</c>), the second to one of its commands, later words to the command's switches
/// not yet given, and the value of <c>--kind</c> to a link kind.
/// </summary>
public sealed class PaletteCompletion(Func<ImmutableArray<PaletteDefinition>> palettes) : ITextCompletion
{
    private static readonly string[] ConsoleWords = ["help", "history", "exit"];

    /// <inheritdoc/>
    public IEnumerable<string>? GetCompletions(string context, string word, string suffix) => Complete(palettes(), context, word);

    /// <summary>The completions of <paramref name="word"/> after the words in <paramref name="context"/>.</summary>
    public static IEnumerable<string> Complete(ImmutableArray<PaletteDefinition> palettes, string context, string word)
    {
        var before = ConsoleClient.Words(context).Where(w => w != "--json").ToList();
        IEnumerable<string> candidates;
        if (before.Count == 0) candidates = palettes.Select(p => p.Name).Concat(ConsoleWords);
        else if (before[0] == "help") candidates = before.Count == 1 ? palettes.Select(p => p.Name) : [];
        else if (palettes.FirstOrDefault(p => p.Name == before[0]) is not { } palette) candidates = [];
        else if (before.Count == 1) candidates = palette.Commands.Select(c => c.Name).Concat(word.StartsWith('-') && palette.DefaultCommand is { } d ? Switches(palette, d, before) : []);
        else
        {
            var command = palette.Commands.Any(c => c.Name == before[1]) ? before[1] : palette.DefaultCommand;
            candidates = command is null ? []
                : before[^1] == "--kind" ? ["raw-p2p", "udp-p2p", "raw-multipoint", "udp-multipoint"]
                : Switches(palette, command, before);
        }
        return candidates.Where(c => c.StartsWith(word, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> Switches(PaletteDefinition palette, string command, List<string> before) =>
        palette.Commands.First(c => c.Name == command).Switches.Select(s => "--" + s.Name).Where(s => !before.Contains(s)).Append("--json");
}
