using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>
/// One console connection: sends the palettes, then runs requests one at a time and streams their
/// output: a text request through its palette, a typed request straight to the
/// <see cref="CommandDispatcher"/> (its items, then its reply). Reading and writing happen on tasks; the actor serialises requests and owns the socket.
/// </summary>
public sealed class CommandSession : ReceiveActor
{
    /// <summary>A request line; <see cref="BoundedLine.Text"/> is null when it was longer than the limit.</summary>
    private sealed record LineReceived(BoundedLine Line);

    private sealed record Closed
    {
        public static Closed Instance { get; } = new();
    }

    private sealed record Finished
    {
        public static Finished Instance { get; } = new();
    }

    private sealed class Sink(StreamWriter writer, SemaphoreSlim gate) : ICommandSink
    {
        public async Task EmitAsync(ConsoleLine line)
        {
            await gate.WaitAsync();
            try
            {
                await writer.WriteLineAsync(line.ToJson());
                await writer.FlushAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Socket _socket;
    private readonly ImmutableArray<IPalette> _palettes;
    private readonly CommandDispatcher _dispatcher;
    private readonly string _node;
    private readonly string _address;
    private readonly Stream _stream;
    private readonly StreamWriter _writer;
    private readonly Sink _sink;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Queue<BoundedLine> _queue = new();

    // Lines read but not yet answered: the reader waits for a slot, so a client that pipelines
    // requests cannot make the session buffer more than a few lines of the maximum length.
    private readonly SemaphoreSlim _pending = new(4, 4);
    private bool _busy;

    /// <summary>Props.</summary>
    public static Props Props(Socket socket, Stream stream, ImmutableArray<IPalette> palettes, CommandDispatcher dispatcher, string node, string address) =>
        Akka.Actor.Props.Create(() => new CommandSession(socket, stream, palettes, dispatcher, node, address));

    /// <summary>A session on <paramref name="stream"/> (plain, or TLS already authenticated), which owns <paramref name="socket"/>.</summary>
    public CommandSession(Socket socket, Stream stream, ImmutableArray<IPalette> palettes, CommandDispatcher dispatcher, string node, string address)
    {
        _socket = socket;
        _palettes = palettes;
        _dispatcher = dispatcher;
        _node = node;
        _address = address;
        _stream = stream;
        _writer = new StreamWriter(_stream, new UTF8Encoding(false)) { NewLine = "\n" };
        _sink = new Sink(_writer, new SemaphoreSlim(1, 1));

        Receive<LineReceived>(l =>
        {
            _queue.Enqueue(l.Line);
            RunNext();
        });
        Receive<Finished>(_ =>
        {
            _busy = false;
            _pending.Release();
            RunNext();
        });
        Receive<Closed>(_ => Context.Stop(Self));
    }

    /// <inheritdoc/>
    protected override void PreStart()
    {
        var self = Self;
        var hello = new ConsoleLine.Hello(_node, _address, [.. _palettes.Select(p => p.Definition)]);
        _ = Task.Run(async () =>
        {
            try
            {
                await _sink.EmitAsync(hello);
                using var text = new StreamReader(_stream, Encoding.UTF8, false, 4096, leaveOpen: true);
                var reader = new BoundedLineReader(text, ConsoleLine.MaxLineChars);
                while (true)
                {
                    await _pending.WaitAsync(_cancel.Token);
                    if (await reader.ReadLineAsync(_cancel.Token) is not { } line) break;
                    if (line.Length == 0) { _pending.Release(); continue; }
                    self.Tell(new LineReceived(line));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
            self.Tell(Closed.Instance);
        });
    }

    private void RunNext()
    {
        if (_busy || _queue.Count == 0) return;
        _busy = true;
        var line = _queue.Dequeue();
        var self = Self;
        _ = Task.Run(async () =>
        {
            var (exit, error) = await Execute(line);
            try
            {
                await _sink.EmitAsync(new ConsoleLine.End(exit, error));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
            self.Tell(Finished.Instance);
        });
    }

    /// <summary>Runs one request line; never throws, so every line gets its end line and the session goes on.</summary>
    private async Task<(int, string?)> Execute(BoundedLine line)
    {
        try
        {
            return await ExecuteLine(line);
        }
        catch (Exception e)
        {
            _log.Error(e, "console request failed");
            return (ExitCodes.Failed, $"the request failed on {_node}: {e.Message}");
        }
    }

    /// <summary>
    /// The request a line carries — a <see cref="ConsoleLine.Run"/> (its arguments never null) or a
    /// <see cref="ConsoleLine.Ask"/> — or why it carries none (every way a line can be malformed).
    /// </summary>
    public static (ConsoleLine? Request, string? Error) ParseRequest(BoundedLine line)
    {
        if (line.Text is not { } text) return (null, $"request line of {line.Length} characters is longer than the limit of {ConsoleLine.MaxLineChars}");
        ConsoleLine parsed;
        try
        {
            parsed = ConsoleLine.Parse(text);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return (null, $"malformed request: {e.Message}");
        }
        switch (parsed)
        {
            case ConsoleLine.Ask { Request: ICommandRequest }:
                return (parsed, null);
            case ConsoleLine.Ask { Request: { } other }:
                return (null, $"malformed request: '{CommandJson.Discriminator(other.GetType())}' is not a request");
            case ConsoleLine.Ask:
                return (null, "malformed request: an ask request needs a 'request' object");
            case ConsoleLine.Run run:
                if (run.Request is not { } r) return (null, "malformed request: a run request needs a 'request' object");
                if (string.IsNullOrEmpty(r.Palette) || string.IsNullOrEmpty(r.Command)) return (null, "malformed request: the request needs a 'palette' and a 'command'");
                var args = r.Args ?? ImmutableDictionary<string, string>.Empty;
                if (args.FirstOrDefault(a => a.Value is null) is { Key: { } nullKey }) return (null, $"malformed request: argument '{nullKey}' has no value");
                return (new ConsoleLine.Run(r with { Args = args }), null);
            default:
                return (null, $"expected a run or ask request, not '{parsed.GetType().Name.ToLowerInvariant()}'");
        }
    }

    private async Task<(int, string?)> ExecuteLine(BoundedLine line)
    {
        var (parsed, error) = ParseRequest(line);
        return parsed switch
        {
            ConsoleLine.Run run => await RunText(run.Request),
            ConsoleLine.Ask ask => await RunTyped((ICommandRequest)ask.Request),
            _ => (ExitCodes.Usage, error),
        };
    }

    /// <summary>A typed request: its items, its reply, and exit code 1 when the reply refuses it.</summary>
    private async Task<(int, string?)> RunTyped(ICommandRequest request)
    {
        try
        {
            var reply = await _dispatcher.ExecuteAsync(request, item => _sink.EmitAsync(new ConsoleLine.Item(item)), _cancel.Token);
            await _sink.EmitAsync(new ConsoleLine.Reply(reply));
            return reply is IRejection rejection ? (ExitCodes.Failed, string.Join("; ", rejection.Problems)) : (ExitCodes.Ok, null);
        }
        catch (CommandException e)
        {
            return (e.Exit, e.Message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return (ExitCodes.Failed, "connection closed");
        }
        catch (Exception e)
        {
            _log.Error(e, "console request {0} failed", CommandJson.Discriminator(request.GetType()));
            return (ExitCodes.Failed, $"{CommandJson.Discriminator(request.GetType())} failed on {_node}: {e.Message}");
        }
    }

    private async Task<(int, string?)> RunText(CommandRequest request)
    {
        _log.Debug("console request {0} {1}", request.Palette, request.Command);
        var palette = _palettes.FirstOrDefault(p => p.Definition.Name == request.Palette);
        if (palette is null) return (ExitCodes.Usage, $"unknown palette '{request.Palette}' (palettes: {string.Join(", ", _palettes.Select(p => p.Definition.Name))})");
        var command = palette.Definition.Commands.FirstOrDefault(c => c.Name == request.Command);
        if (command is null) return (ExitCodes.Usage, $"unknown command '{request.Palette} {request.Command}' (commands: {string.Join(", ", palette.Definition.Commands.Select(c => c.Name))})");
        var unknown = request.Args.Keys.Where(k => !k.StartsWith('@') && command.Switches.All(s => s.Name != k)).ToList();
        if (unknown.Count > 0) return (ExitCodes.Usage, $"{request.Palette} {request.Command}: unknown switch --{unknown[0]} (switches: {string.Join(", ", command.Switches.Select(s => "--" + s.Name))})");
        var missing = command.Switches.Where(s => s.Required && !request.Args.ContainsKey(s.Name)).ToList();
        if (missing.Count > 0) return (ExitCodes.Usage, $"{request.Palette} {request.Command}: --{missing[0].Name} is required ({missing[0].Description})");
        try
        {
            await palette.ExecuteAsync(request, _sink, _cancel.Token);
            return (ExitCodes.Ok, null);
        }
        catch (CommandException e)
        {
            return (e.Exit, e.Message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return (ExitCodes.Failed, "connection closed");
        }
        catch (Exception e)
        {
            _log.Error(e, "console command {0} {1} failed", request.Palette, request.Command);
            return (ExitCodes.Failed, $"{request.Palette} {request.Command} failed on {_node}: {e.Message}");
        }
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _cancel.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _stream.Dispose();
    }
}
