using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Networks;
using VNet.Host.Console;

namespace VNet.Integration.Tests.Console;

/// <summary>
/// Hostile input against real vnetds, on the console lab the other bad-input tests use (no lab of
/// its own): files built to exhaust a node, and malformed console lines. The node refuses each with
/// where the problem is, and lives.
/// </summary>
public sealed partial class ConsoleBadInputTests
{
    private static long RssBytes(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [Fact]
    public async Task Files_built_to_exhaust_a_node_are_refused_with_their_line_and_the_node_lives()
    {
        // The console's node (the oldest, so the topology manager's too) is the one the file would stall or kill.
        var pid = Session.State.Processes.First(p => p.Name == $"vnetd-{Session.State.Hosts[0].Name}").Pid;
        var before = RssBytes(pid);

        // 60 000 nested elements (about 420 KB): refused at the depth limit, not by a stack overflow.
        var deep = await Vnet("net", "load", "--file", WriteFile("deep.xml", "<network>\n" + string.Concat(Enumerable.Repeat("<a>", 60_000)) + string.Concat(Enumerable.Repeat("</a>", 60_000)) + "\n</network>\n"));
        Assert.NotEqual(0, deep.Exit);
        Assert.Matches(@"deep\.xml:2:\d+: elements are nested deeper than the limit of 32", deep.Err);

        // A 2 MB comment fits the size limit but not the comment limit.
        var comment = await Vnet("net", "load", "--file", WriteFile("comment.xml", "<network>\n<!--" + new string('x', 2_000_000) + "-->\n</network>\n"));
        Assert.NotEqual(0, comment.Exit);
        Assert.Matches(@"comment\.xml:2:\d+: a comment is 2000000 characters", comment.Err);

        // A 40 MB comment: the client refuses it without sending it...
        var huge = WriteFile("huge.xml", "<network>\n<!--" + new string('x', 40_000_000) + "-->\n</network>\n");
        var local = await Vnet("net", "load", "--file", huge);
        Assert.NotEqual(0, local.Exit);
        Assert.Matches(@"huge\.xml:2:\d+: the file is larger than the limit", local.Err);
        // ...and a client that sends one over the size limit anyway is refused by the node before it parses.
        await using (var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(Session.State.Hosts[0].Socket)))
        {
            var over = Encoding.UTF8.GetBytes("<network>\n<!--" + new string('x', (int)XmlFileLimits.DefaultMaxBytes) + "-->\n</network>\n");
            var args = ImmutableDictionary<string, string>.Empty.Add("file", "over.xml").Add("@file", Convert.ToBase64String(over));
            var (_, end) = await c.RunToEndAsync(new CommandRequest("net", "load", args, false));
            Assert.NotEqual(0, end.Exit);
            Assert.Matches($@"over\.xml:2:\d+: the file is larger than the limit of {XmlFileLimits.DefaultMaxBytes} bytes", end.Error);
        }

        // A foreign namespace, with its line and column.
        var foreign = await Vnet("net", "load", "--file", WriteFile("foreign.xml", "<?xml version=\"1.0\"?>\n<network xmlns=\"urn:elsewhere\">\n</network>\n"));
        Assert.NotEqual(0, foreign.Exit);
        Assert.Contains("foreign.xml:2:2: <network> is in namespace 'urn:elsewhere'", foreign.Err);

        // Duplicates, each where it repeats.
        const string vm = "<vm name=\"vm1\"><nic mac=\"02:00:00:00:01:01\"/></vm>";
        var dup = await Vnet("net", "load", "--file", WriteFile("dup.xml", $"<network>\n{vm}\n{vm}\n<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm1\"/></link>\n<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm1\"/></link>\n</network>\n"));
        Assert.NotEqual(0, dup.Exit);
        Assert.Contains("dup.xml:3:2: VM 'vm1' is declared 2 times (first at line 2)", dup.Err);
        Assert.Contains("dup.xml:5:2: duplicate link id 'x1' (first at line 4)", dup.Err);

        var show = await Vnet("cluster", "show");
        Assert.True(show.Exit == 0, $"the node stopped answering: {show.Err}\n{Session.Logs()}");
        // Generous: the 40 MB file never reached it and the rest is bounded by the limits.
        var grown = RssBytes(pid) - before;
        Assert.True(grown < 400L << 20, $"the node grew by {grown >> 20} MB");
    }

    [Fact]
    public async Task Malformed_console_lines_get_an_error_and_the_session_still_answers()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Session.State.Hosts[0].Socket), cancel.Token);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
        Assert.IsType<ConsoleLine.Hello>(ConsoleLine.Parse((await reader.ReadLineAsync(cancel.Token))!));

        async Task<ConsoleLine.End> Send(string line)
        {
            await writer.WriteLineAsync(line.AsMemory(), cancel.Token);
            while (await reader.ReadLineAsync(cancel.Token) is { } reply)
                if (ConsoleLine.Parse(reply) is ConsoleLine.End end) return end;
            throw new InvalidOperationException($"the node closed the session after {line[..Math.Min(line.Length, 40)]}");
        }

        foreach (var bad in new[] { "{\"t\":\"run\"}", "{\"t\":\"run\",\"request\":null}", "not json", "{\"t\":\"nope\"}", new string('x', 10_000_000) })
        {
            var end = await Send(bad);
            Assert.True(end.Exit != 0 && end.Error is not null, $"no error for {bad[..Math.Min(bad.Length, 40)]}");
        }
        var ok = await Send(new ConsoleLine.Run(new CommandRequest("cluster", "show", ImmutableDictionary<string, string>.Empty, true)).ToJson());
        Assert.True(ok.Exit == 0, ok.Error);
    }
}
