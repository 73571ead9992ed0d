using System.Collections.Immutable;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace VNet.Client;

/// <summary>Where a node's command host listens: TCP host:port or a UNIX socket path.</summary>
public sealed record ConsoleEndpoint(string? Host, int Port, string? UnixPath)
{
    /// <summary>Parses <c>host:port</c> (port defaults to 9110).</summary>
    public static ConsoleEndpoint Tcp(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0) return new ConsoleEndpoint(text, 9110, null);
        if (!int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new CommandException($"-H {text}: '{text[(colon + 1)..]}' is not a port number (1-65535)", ExitCodes.Usage);
        return new ConsoleEndpoint(text[..colon], port, null);
    }

    /// <summary>A UNIX socket endpoint.</summary>
    public static ConsoleEndpoint Unix(string path) => new(null, 0, path);

    /// <summary>
    /// The PKI directory whose <c>ca.crt</c> the node's certificate must chain to, and whose
    /// <c>NAME.crt</c>/<c>NAME.key</c> the client presents, for a TCP console off loopback (TLS).
    /// </summary>
    public string PkiDirectory { get; init; } = Environment.GetEnvironmentVariable("VNET_PKI") is { Length: > 0 } d ? d : "/etc/vnet/pki";

    /// <summary>The name of the client's certificate in <see cref="PkiDirectory"/>.</summary>
    public string CertificateName { get; init; } = Environment.GetEnvironmentVariable("VNET_CERT") is { Length: > 0 } n ? n : "console";

    /// <inheritdoc/>
    public override string ToString() => UnixPath ?? $"{Host}:{Port}";
}

/// <summary>
/// The TLS step of a connection to a remote console (TCP off loopback): given the plain stream,
/// returns the authenticated one, or throws <see cref="CommandException"/> saying why not. The
/// cluster's PKI (where the authority and the client's certificate are) is the caller's business.
/// </summary>
public delegate Task<Stream> ConsoleTlsStep(Stream plain, ConsoleEndpoint endpoint, CancellationToken cancel);

/// <summary>
/// A client connection to a node's command host: reads the hello (palettes) on connect, then
/// runs requests and yields the streamed output lines until the end line.
/// </summary>
public sealed class ConsoleConnection : IAsyncDisposable
{
    /// <summary>
    /// Longest line the client reads from a node: above the node's own request limit, as a reply
    /// (say <c>net show --json</c> of the largest network) may be longer than the file it describes,
    /// but bounded, so a hostile node cannot exhaust the client's memory with one line.
    /// </summary>
    public const int MaxReplyLineChars = 4 * ConsoleLine.MaxLineChars;

    private readonly Socket _socket;
    private readonly StreamReader _text;
    private readonly BoundedLineReader _reader;
    private readonly StreamWriter _writer;

    private ConsoleConnection(Socket socket, Stream stream, StreamReader text, BoundedLineReader reader, ConsoleLine.Hello hello)
    {
        _socket = socket;
        _text = text;
        _reader = reader;
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        Hello = hello;
    }

    /// <summary>The node's greeting: its name, address and palettes.</summary>
    public ConsoleLine.Hello Hello { get; private set; }

    /// <summary>
    /// Connects and reads the hello; throws <see cref="CommandException"/> (exit 3) when the node cannot
    /// be reached. A TCP console off loopback needs <paramref name="tls"/>.
    /// </summary>
    public static async Task<ConsoleConnection> ConnectAsync(ConsoleEndpoint endpoint, TimeSpan? timeout = null, CancellationToken cancel = default, ConsoleTlsStep? tls = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(5));
        Socket socket;
        try
        {
            if (endpoint.UnixPath is { } path)
            {
                if (!File.Exists(path)) throw new CommandException($"cannot reach {path}: no such socket (is the node running?)", ExitCodes.Unreachable);
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
            }
            else
            {
                var addresses = IPAddress.TryParse(endpoint.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(endpoint.Host!, cts.Token);
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(addresses.First(a => a.AddressFamily == AddressFamily.InterNetwork), endpoint.Port, cts.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidOperationException)
        {
            var why = e is OperationCanceledException ? "timed out" : e.Message;
            throw new CommandException($"cannot reach the vnet node at {endpoint}: {why}", ExitCodes.Unreachable);
        }
        // One reader for the connection's life: a reader used only for the greeting could buffer, and
        // lose, the start of what follows it.
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (endpoint.UnixPath is null && socket.RemoteEndPoint is IPEndPoint remote && !IPAddress.IsLoopback(remote.Address))
        {
            if (tls is null)
            {
                socket.Dispose();
                throw new CommandException($"{endpoint} is a remote console: it needs TLS with a client certificate, and this client was given none", ExitCodes.Usage);
            }
            stream = await tls(stream, endpoint, cts.Token);
        }
        var text = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        var reader = new BoundedLineReader(text, MaxReplyLineChars);
        string? first;
        try
        {
            first = (await reader.ReadLineAsync(cts.Token))?.Text;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            socket.Dispose();
            throw new CommandException($"{endpoint} accepted the connection but sent no greeting (is it a vnet node?)", ExitCodes.Unreachable);
        }
        if (first is null || TryParse(first) is not ConsoleLine.Hello hello)
        {
            socket.Dispose();
            throw new CommandException($"{endpoint} is not a vnet console (unexpected greeting)", ExitCodes.Unreachable);
        }
        return new ConsoleConnection(socket, stream, text, reader, hello);
    }

    private static ConsoleLine? TryParse(string line)
    {
        try
        {
            return ConsoleLine.Parse(line);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Sends one request and yields its output; the last line yielded is the <see cref="ConsoleLine.End"/>.</summary>
    public IAsyncEnumerable<ConsoleLine> RunAsync(CommandRequest request, CancellationToken cancel = default) =>
        ExchangeAsync(new ConsoleLine.Run(request), cancel);

    /// <summary>
    /// Sends one request line (<see cref="ConsoleLine.Run"/> or <see cref="ConsoleLine.Ask"/>) and yields
    /// the lines of its answer; the last line yielded is the <see cref="ConsoleLine.End"/>.
    /// </summary>
    public async IAsyncEnumerable<ConsoleLine> ExchangeAsync(ConsoleLine request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        await _writer.WriteLineAsync(request.ToJson().AsMemory(), cancel);
        while (true)
        {
            if (await _reader.ReadLineAsync(cancel) is not { } line)
            {
                yield return new ConsoleLine.End(ExitCodes.Unreachable, "the node closed the connection");
                yield break;
            }
            if (line.Text is not { } lineText)
            {
                yield return new ConsoleLine.End(ExitCodes.Failed, $"the node sent a line of {line.Length} characters, longer than the limit of {MaxReplyLineChars}");
                yield break;
            }
            var parsed = TryParse(lineText) ?? new ConsoleLine.Text(lineText);
            yield return parsed;
            if (parsed is ConsoleLine.End) yield break;
        }
    }

    /// <summary>Runs a request and collects its output.</summary>
    public async Task<(List<ConsoleLine> Lines, ConsoleLine.End End)> RunToEndAsync(CommandRequest request, CancellationToken cancel = default)
    {
        var lines = new List<ConsoleLine>();
        await foreach (var l in RunAsync(request, cancel))
        {
            if (l is ConsoleLine.End end) return (lines, end);
            lines.Add(l);
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Builds a request from the palette definitions: checks the command and switches exist.</summary>
    public CommandRequest Request(string palette, string command, IReadOnlyDictionary<string, string>? args = null, bool json = false) =>
        new(palette, command, (args ?? new Dictionary<string, string>()).ToImmutableDictionary(), json);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _text.Dispose();
        _writer.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
