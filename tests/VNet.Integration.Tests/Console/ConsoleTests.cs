using System.Text.Json.Nodes;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Console;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Console;

/// <summary>A three-hosts lab with its segment, for the console tests.</summary>
public sealed class ConsoleLab : IAsyncLifetime
{
    public LabSession Session { get; private set; } = null!;

    public async Task InitializeAsync() => Session = await LabSession.UpAsync("three-hosts");

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>
/// Every console command against a running lab, in both output forms, and bad input that must be
/// refused with a clear message, a non-zero exit and the cluster unchanged.
/// </summary>
public sealed class ConsoleTests(ConsoleLab lab) : IClassFixture<ConsoleLab>
{
    private LabSession Session => lab.Session;

    private string Socket(string host) => Session.State.Hosts.First(h => h.Name == host).Socket;

    /// <summary>Runs the real `vnet` client code against a node, as a user would; returns exit code, stdout and stderr.</summary>
    private async Task<(int Exit, string Out, string Err)> Vnet(string host, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", Socket(host), .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private async Task<(string Text, JsonNode? Json)> BothForms(string host, params string[] args)
    {
        var text = await Vnet(host, args);
        Assert.True(text.Exit == 0, $"vnet {string.Join(' ', args)} failed ({text.Exit}): {text.Err}");
        Assert.False(string.IsNullOrWhiteSpace(text.Out), $"vnet {string.Join(' ', args)} printed nothing");
        var json = await Vnet(host, ["--json", .. args]);
        Assert.True(json.Exit == 0, $"vnet --json {string.Join(' ', args)} failed ({json.Exit}): {json.Err}");
        JsonNode? parsed = null;
        if (json.Out.Trim().Length > 0)
        {
            // Several JSON documents may be streamed one after another; the first must parse.
            var first = json.Out.TrimStart();
            parsed = JsonNode.Parse(first[..(FirstDocumentEnd(first) + 1)]);
        }
        return (text.Out, parsed);
    }

    private static int FirstDocumentEnd(string s)
    {
        int depth = 0;
        var inString = false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (inString) { if (c == '\\') i++; else if (c == '"') inString = false; continue; }
            if (c == '"') inString = true;
            else if (c is '{' or '[') depth++;
            else if (c is '}' or ']' && --depth == 0) return i;
        }
        return s.Length - 1;
    }

    private static void Ok((int Exit, string Out, string Err) run) =>
        Assert.True(run.Exit == 0, $"exit {run.Exit}: {run.Err}{run.Out}");

    private async Task<string> NetworkNow() => (await Vnet("h1", "net", "show")).Out;

    [Fact]
    public async Task Every_console_command_works_in_both_output_forms()
    {
        var dir = Session.State.Directory;
        var covered = new HashSet<string>();
        async Task<(string Text, JsonNode? Json)> Run(string host, params string[] args)
        {
            covered.Add($"{args[0]} {args[1]}");
            return await BothForms(host, args);
        }

        // --json prints the reply record: its "type", then its members (docs/console-protocol.md).
        var shown = (await Run("h1", "cluster", "show")).Json!;
        Assert.Equal("member-list", shown["type"]!.GetValue<string>());
        var members = shown["members"]!.AsArray();
        Assert.Equal(3, members.Count);
        Assert.Contains("is up", (await Run("h2", "cluster", "status")).Text);
        Assert.Contains("leader", (await Run("h1", "cluster", "leader")).Text);
        Assert.Contains("no unreachable member", (await Run("h1", "cluster", "down-unreachable")).Text);
        Assert.Contains("Up", (await Run("h1", "cluster", "tail", "--seconds", "1")).Text);

        Assert.Equal("vnet", (await Run("h1", "actor", "system")).Json!["name"]!.GetValue<string>());
        Assert.Contains((await Run("h1", "actor", "hierarchy")).Json!["actors"]!.AsArray(), a => a!["path"]!.GetValue<string>() == "/user/host");

        Assert.Equal("h2", (await Run("h2", "host", "show")).Json!["info"]!["name"]!.GetValue<string>());
        Assert.Contains("eth0", (await Run("h3", "host", "inventory")).Text);
        Assert.Equal("seg1", (await Run("h3", "host", "links")).Json!["links"]!.AsArray().Single()!["link"]!["id"]!.GetValue<string>());

        Assert.Equal(3, (await Run("h1", "hosts", "show")).Json!["hosts"]!.AsArray().Count);
        Assert.Contains("h3", (await Run("h1", "discover", "search", "--want", "2", "--ttl-max", "2")).Text);
        Assert.Contains("discovery on h2", (await Run("h2", "discover", "stats")).Text);

        Assert.Equal("log-level-is", (await Run("h2", "log", "level")).Json!["type"]!.GetValue<string>());
        // The node's recent lines first (a node that formed a cluster has logged some), then the end.
        Assert.Equal("log-line", (await Run("h1", "log", "tail", "--lines", "5", "--seconds", "0.5")).Json!["type"]!.GetValue<string>());

        Assert.Equal("established", (await Run("h1", "link", "show")).Json!["links"]!.AsArray().Single()!["phase"]!.GetValue<string>());
        Assert.Equal(6, (await Run("h1", "link", "stats", "--id", "seg1")).Json!["directions"]!.AsArray().Count);
        Assert.Contains("dscp=10", (await Run("h1", "link", "set", "--id", "seg1", "--dscp", "10")).Text);
        var capture = await Run("h1", "link", "capture", "--id", "seg1", "--file", Path.Combine(dir, "c.pcap"), "--seconds", "0.5");
        Assert.True(File.Exists(Path.Combine(dir, "c.pcap")));
        Assert.Equal(("link-captured", "seg1"), (capture.Json!["type"]!.GetValue<string>(), capture.Json!["id"]!.GetValue<string>()));

        Assert.Contains("<link id=\"seg1\"", (await Run("h1", "net", "show")).Text);
        var file = Path.Combine(dir, "net.xml");
        await Run("h1", "net", "save", "--file", file);
        Assert.Contains("kind=\"raw-multipoint\"", File.ReadAllText(file));

        // delete / load / create, each in both forms.
        Assert.Contains("deleted", (await Vnet("h1", "link", "delete", "--id", "seg1")).Out);
        Ok(await Vnet("h1", "net", "load", "--file", file));
        Ok(await Vnet("h1", "--json", "link", "delete", "--id", "seg1"));
        Ok(await Vnet("h1", "--json", "net", "load", "--file", file));
        covered.Add("link delete");
        covered.Add("net load");
        Assert.Equal(0, (await Vnet("h1", "link", "delete", "--id", "seg1")).Exit);
        Assert.Equal(0, (await Vnet("h1", "link", "create", "--id", "p1", "--kind", "raw-p2p", "--vms", "vm1,vm2")).Exit);
        var created = await Vnet("h1", "--json", "link", "create", "--id", "p2", "--kind", "udp-p2p", "--vms", "vm3,vm2");
        Assert.True(created.Exit != 0 && created.Err.Contains("already on link p1"), created.Err); // vm2's NIC is taken: refused
        Assert.Equal(0, (await Vnet("h1", "--json", "link", "delete", "--id", "p1")).Exit);
        var json = await Vnet("h1", "--json", "link", "create", "--id", "p2", "--kind", "udp-p2p", "--vms", "vm3,vm2");
        Assert.True(json.Exit == 0, json.Err);
        Assert.Equal("p2", JsonNode.Parse(json.Out)!["link"]!["link"]!["id"]!.GetValue<string>());
        covered.Add("link create");

        // Leaving: h3 leaves by itself (text), h2 is asked to leave from h1 (JSON).
        Assert.Contains("leaving", (await Vnet("h3", "cluster", "leave")).Out);
        var h2Address = members.Single(m => m!["host"]!.GetValue<string>() == "h2")!["address"]!.GetValue<string>();
        var leave = await Vnet("h1", "--json", "cluster", "leave", "--address", h2Address);
        Assert.Equal(h2Address, JsonNode.Parse(leave.Out)!["address"]!.GetValue<string>());
        covered.Add("cluster leave");
        await WaitUntil(async () => (await Session.ReplyAsync<MemberList>("h1", GetMembers.Instance)).Members.Length == 1, TimeSpan.FromSeconds(30));

        // Every command the node offers was exercised.
        await using var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(Socket("h1")));
        var offered = c.Hello.Palettes.SelectMany(p => p.Commands.Select(cmd => $"{p.Name} {cmd.Name}")).ToHashSet();
        Assert.Empty(offered.Except(covered));
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(500);
        }
        Assert.Fail($"condition not met within {timeout.TotalSeconds} s");
    }
}

/// <summary>Bad input gets a clear message naming the problem, a non-zero exit, and leaves the cluster as it was.</summary>
public sealed partial class ConsoleBadInputTests(ConsoleLab lab) : IClassFixture<ConsoleLab>
{
    private LabSession Session => lab.Session;

    private async Task<(int Exit, string Out, string Err)> Vnet(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", Session.State.Hosts[0].Socket, .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(Session.State.Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static IEnumerable<object[]> BadNetworks()
    {
        const string vm1 = "<vm name=\"vm1\"><nic mac=\"02:00:00:00:01:01\"/></vm>";
        const string vm2 = "<vm name=\"vm2\"><nic mac=\"02:00:00:00:02:01\"/></vm>";
        yield return ["malformed", "<network><vm name=\"vm1\"></network>", "malformed XML"];
        yield return ["unknown-vm", $"<network>{vm1}<vm name=\"ghost\"><nic mac=\"02:00:00:00:09:09\"/></vm><link id=\"x1\"><end vm=\"vm1\"/><end vm=\"ghost\"/></link></network>", "unknown VM 'ghost'"];
        yield return ["unknown-host", $"<network><vm name=\"vm1\" host=\"h9\"><nic mac=\"02:00:00:00:01:01\"/></vm>{vm2}<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link></network>", "unknown host 'h9'"];
        yield return ["duplicate-mac", $"<network>{vm1}<vm name=\"vm2\"><nic mac=\"02:00:00:00:01:01\"/></vm></network>", "duplicate MAC"];
        yield return ["wrong-mac", $"<network><vm name=\"vm1\"><nic mac=\"02:00:00:00:01:99\"/></vm>{vm2}<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link></network>", "the file says 02:00:00:00:01:99"];
        yield return ["bad-mac", "<network><vm name=\"vm1\"><nic mac=\"02:00:00:00:01\"/></vm></network>", "is not a MAC address"];
        yield return ["duplicate-link", $"<network>{vm1}{vm2}<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link><link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link></network>", "duplicate link id 'x1'"];
        yield return ["link-in-use", $"<network>{vm1}{vm2}<link id=\"seg1\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link></network>", "'seg1' is already in use"];
        yield return ["protocol", $"<network>{vm1}{vm2}<link id=\"x1\" protocol=\"253\"><end vm=\"vm1\"/><end vm=\"vm2\"/></link></network>", "out of range 143-252"];
        yield return ["bandwidth", $"<network>{vm1}{vm2}<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/><options bandwidth=\"fast\"/></link></network>", "bandwidth 'fast'"];
        yield return ["impairment", $"<network>{vm1}{vm2}<link id=\"x1\"><end vm=\"vm1\"/><end vm=\"vm2\"/><options loss=\"101\" jitter=\"5\"/></link></network>", "loss '101' is out of range"];
    }

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public async Task A_bad_network_file_is_refused_and_nothing_changes(string name, string xml, string expected)
    {
        var before = (await Vnet("net", "show")).Out;
        var result = await Vnet("net", "load", "--file", WriteFile(name + ".xml", xml));
        Assert.NotEqual(0, result.Exit);
        Assert.Contains(expected, result.Err);
        Assert.Contains("nothing was applied", result.Err);
        Assert.Equal(before, (await Vnet("net", "show")).Out);
    }

    [Theory]
    [InlineData("link show --id nope", "no link 'nope'")]
    [InlineData("link delete --id nope", "no link 'nope'")]
    [InlineData("link set --id nope --dscp 1", "no link 'nope'")]
    [InlineData("link set --id seg1 --loss 150", "--loss '150' is not a number in 0-100")]
    [InlineData("link set --id seg1 --bandwidth 5X", "--bandwidth '5X'")]
    [InlineData("link create --id x --vms vm1,ghost", "unknown VM 'ghost'")]
    [InlineData("link create --id x --vms vm1 --kind raw-p2p", "exactly 2 endpoints")]
    [InlineData("link create --id bad/id --vms vm1,vm2", "link id 'bad/id' is not valid")]
    [InlineData("link create --id x --vms vm1,vm2 --kind raw-p3p", "--kind 'raw-p3p' is not a link kind")]
    [InlineData("link capture --id seg1 --file /tmp/never.pcap --host h9", "no end on host 'h9'")]
    [InlineData("cluster leave --address akka.tcp://vnet@203.0.113.9:4053", "no member with address")]
    [InlineData("host nothing", "unknown command 'host nothing'")]
    public async Task A_bad_command_names_the_problem_and_leaves_the_cluster_as_it_was(string line, string expected)
    {
        var before = (await Vnet("--json", "link", "show")).Out;
        var result = await Vnet(ConsoleClient.Words(line).ToArray());
        Assert.NotEqual(0, result.Exit);
        Assert.Contains(expected, result.Err);
        Assert.Equal(before, (await Vnet("--json", "link", "show")).Out);
        _ = ExitCodes.Usage;
    }
}
