using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Console;

namespace VNet.Host.Tests.Console;

/// <summary>
/// The client against a fake node on a UNIX socket in a temp directory: whatever the node answers,
/// the client writes only the file the user named and reads only the file the user named for input.
/// </summary>
public sealed class HostileConsoleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vnet-fake-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A node that greets with <paramref name="palettes"/> and answers every request with <paramref name="reply"/>.</summary>
    private sealed class FakeNode : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();

        public FakeNode(string path, ImmutableArray<PaletteDefinition> palettes, Func<CommandRequest, ConsoleLine[]> reply)
        {
            Path = path;
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(4);
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var socket = await _listener.AcceptAsync(_stop.Token);
                    await using var stream = new NetworkStream(socket);
                    using var reader = new StreamReader(stream, Encoding.UTF8);
                    await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
                    await writer.WriteLineAsync(new ConsoleLine.Hello("fake", "akka.tcp://x@127.0.0.1:1", palettes).ToJson());
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        Requests.Add(line);
                        var request = ((ConsoleLine.Run)ConsoleLine.Parse(line)).Request;
                        foreach (var l in reply(request)) await writer.WriteLineAsync(l.ToJson());
                    }
                }
            });
        }

        public string Path { get; }

        public List<string> Requests { get; } = [];

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
        }
    }

    private static readonly ImmutableArray<PaletteDefinition> Palettes =
    [
        new("cluster", "cluster", [CommandDefinition.Of("show", "show")]),
        new("net", "net", [CommandDefinition.Of("save", "save", new SwitchDefinition("file", "file", Required: true) { OutputFile = true })]),
        // A node claiming that a switch which is no file switch names a file for the client to read.
        new("link", "links", [CommandDefinition.Of("create", "create", new SwitchDefinition("vms", "vms", Required: true) { InputFile = true })]),
    ];

    private static async Task<(int Exit, string Err)> Vnet(FakeNode node, params string[] args)
    {
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", node.Path, .. args], TextWriter.Null, error).WaitAsync(TimeSpan.FromSeconds(20));
        return (exit, error.ToString());
    }

    [Fact]
    public async Task A_file_line_the_user_did_not_ask_for_writes_nothing_and_fails()
    {
        var evil = Path.Combine(_dir, "evil");
        using var node = new FakeNode(Path.Combine(_dir, "s"), Palettes, _ => [new ConsoleLine.File(evil, Convert.ToBase64String("owned"u8.ToArray())), new ConsoleLine.End(0, null)]);
        var (exit, err) = await Vnet(node, "cluster", "show");
        Assert.False(File.Exists(evil), "the client wrote the file the node named");
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("nothing was written", err);
    }

    [Fact]
    public async Task A_file_output_goes_to_the_users_path_whatever_path_the_node_names()
    {
        var evil = Path.Combine(_dir, "evil");
        var mine = Path.Combine(_dir, "mine.xml");
        using var node = new FakeNode(Path.Combine(_dir, "s"), Palettes, _ =>
        [
            new ConsoleLine.File(evil, Convert.ToBase64String("<network/>"u8.ToArray())),
            new ConsoleLine.File(evil, Convert.ToBase64String("\n"u8.ToArray())) { Append = true },
            new ConsoleLine.End(0, null),
        ]);
        var (exit, err) = await Vnet(node, "net", "save", "--file", mine);
        Assert.True(exit == 0, err);
        Assert.False(File.Exists(evil), "the client wrote the file the node named");
        Assert.Equal("<network/>\n", File.ReadAllText(mine));
    }

    [Fact]
    public async Task A_switch_the_node_calls_an_input_file_is_sent_as_typed_and_no_file_is_read()
    {
        var secret = Path.Combine(_dir, "secret");
        File.WriteAllText(secret, "do not send");
        using var node = new FakeNode(Path.Combine(_dir, "s"), Palettes, _ => [new ConsoleLine.End(0, null)]);
        var (exit, err) = await Vnet(node, "link", "create", "--vms", secret);
        Assert.True(exit == 0, err);
        var request = Assert.Single(node.Requests);
        Assert.DoesNotContain("@vms", request);
        Assert.DoesNotContain(Convert.ToBase64String("do not send"u8.ToArray()), request);
    }

    [Fact]
    public async Task A_net_load_file_over_the_size_limit_is_refused_by_the_client_and_never_sent()
    {
        var big = Path.Combine(_dir, "big.xml");
        await using (var f = File.Create(big))
        {
            await f.WriteAsync("<network>\n<!--"u8.ToArray());
            f.SetLength(VNet.Actors.Networks.XmlFileLimits.DefaultMaxBytes + 10);
        }
        var palettes = Palettes.Add(new("net", "net", [CommandDefinition.Of("load", "load", new SwitchDefinition("file", "file", Required: true) { InputFile = true })]));
        using var node = new FakeNode(Path.Combine(_dir, "s"), [.. palettes.Where(p => p.Name != "net" || p.Commands.Any(c => c.Name == "load"))], _ => [new ConsoleLine.End(0, null)]);
        var (exit, err) = await Vnet(node, "net", "load", "--file", big);
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains($"{big}:2:", err);
        Assert.Contains("larger than the limit", err);
        Assert.Empty(node.Requests);
    }

    [Fact]
    public void Control_characters_from_a_node_reach_the_terminal_as_replacement_characters()
    {
        var output = new StringWriter();
        TableRenderer.Write(new ConsoleLine.Text("a\u001b]52;c;b3duZWQ=\u0007b\tc"), output, TextWriter.Null);
        Assert.Equal("a\uFFFD]52;c;b3duZWQ=\uFFFDb\tc", output.ToString().TrimEnd('\n', '\r'));
    }
}
