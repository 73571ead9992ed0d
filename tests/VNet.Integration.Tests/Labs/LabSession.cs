using System.Text.Json.Nodes;
using VNet.Actors.Commands;
using VNet.Host;
using VNet.Host.Console;
using VNet.Host.Labs;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace VNet.Integration.Tests.Labs;

/// <summary>
/// A lab brought up with real vnetd processes in namespaces under a prefix unique to this test run,
/// torn down on dispose (also when a test failed). Logs are copied to the test output on failure.
/// </summary>
public sealed class LabSession : IAsyncDisposable
{
    private readonly LabRunner _runner;
    private readonly StringWriter _progress = new();

    private LabSession(LabDefinition lab, LabState state, LabRunner runner)
    {
        Lab = lab;
        State = state;
        _runner = runner;
    }

    /// <summary>The lab file as parsed.</summary>
    public LabDefinition Lab { get; }

    /// <summary>What was built (updated when a host's vnetd is restarted).</summary>
    public LabState State { get; private set; }

    /// <summary>The namespace of a lab node.</summary>
    public string Ns(string node) => State.Prefix + node;

    /// <summary>A fresh prefix: "vt" + 4 hex digits + "-".</summary>
    public static string NewPrefix() => $"vt{Random.Shared.Next(0x10000):x4}-";

    /// <summary>Brings up a lab file (by name under labs/ or a path) with a unique prefix.</summary>
    public static async Task<LabSession> UpAsync(string labFile, LabOptions? options = null)
    {
        var lab = LabFile.Load(Cli.ResolveLabFile(Path.Combine(RepoRoot, "labs", labFile.EndsWith(".xml") ? labFile : labFile + ".xml")));
        return await UpAsync(lab, options);
    }

    /// <summary>Brings up a parsed lab with a unique prefix.</summary>
    public static async Task<LabSession> UpAsync(LabDefinition lab, LabOptions? options = null)
    {
        var progress = new StringWriter();
        var runner = new LabRunner(progress);
        var state = await runner.UpAsync(lab, (options ?? new LabOptions()) with { Prefix = options?.Prefix ?? NewPrefix() });
        return new LabSession(lab, state, runner);
    }

    /// <summary>The repository root (where labs/ is), found from the test's directory.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VNet.Actors.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Runs a console command on a host's node; returns the data (JSON) and the end line.</summary>
    public async Task<(JsonNode? Data, ConsoleLine.End End)> ConsoleAsync(string host, string palette, string command, Dictionary<string, string>? args = null)
    {
        var socket = State.Hosts.First(h => h.Name == host).Socket;
        await using var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(socket));
        var (lines, end) = await c.RunToEndAsync(c.Request(palette, command, args, json: true));
        return (lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value, end);
    }

    /// <summary>Like <see cref="ConsoleAsync"/> but fails the test when the command fails.</summary>
    public async Task<JsonNode> CommandAsync(string host, string palette, string command, Dictionary<string, string>? args = null)
    {
        var (data, end) = await ConsoleAsync(host, palette, command, args);
        Assert.True(end.Exit == 0, $"{palette} {command} on {host} failed: {end.Error}");
        return data ?? throw new Xunit.Sdk.XunitException($"{palette} {command} returned no data");
    }

    /// <summary>
    /// Creates a link through the cluster (console on the first host), then sets the VM MTU it reports
    /// on its VMs, as `lab up` does; returns the link as `link show` describes it.
    /// </summary>
    public async Task<JsonNode> CreateLinkAsync(string id, string kind, string vms, Dictionary<string, string>? options = null)
    {
        var args = new Dictionary<string, string>(options ?? new()) { ["id"] = id, ["kind"] = kind, ["vms"] = vms };
        await CommandAsync(State.Hosts[0].Name, "link", "create", args);
        // The initiator answers once its end runs; the other ends report their MTU a moment later.
        JsonNode link = null!;
        await WaitUntilAsync(async () =>
        {
            link = (await CommandAsync(State.Hosts[0].Name, "link", "show", new() { ["id"] = id })).AsArray().Single()!;
            return link["vmMtu"] is not null;
        }, TimeSpan.FromSeconds(15), $"every end of link {id} reporting its VM MTU");
        var mtu = link["vmMtu"]!.GetValue<int>();
        foreach (var vm in vms.Split(','))
        {
            var host = Lab.Vms.First(v => v.Name == vm).Host;
            Shell.Ip("-n", Ns(vm), "link", "set", "eth0", "mtu", mtu.ToString());
            Shell.Ip("-n", Ns(host), "link", "set", vm, "mtu", mtu.ToString());
        }
        return link;
    }

    /// <summary>The MAC of a lab VM.</summary>
    public Messages.MacAddress Mac(string vm) => Lab.Vms.First(v => v.Name == vm).Mac;

    /// <summary>Runs a console command on a host's node and returns every line it streamed, and the end line.</summary>
    public async Task<(List<ConsoleLine> Lines, ConsoleLine.End End)> StreamAsync(string host, string palette, string command, Dictionary<string, string>? args = null, bool json = true)
    {
        var socket = State.Hosts.First(h => h.Name == host).Socket;
        await using var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(socket));
        return await c.RunToEndAsync(c.Request(palette, command, args, json));
    }

    /// <summary>Stops a host's vnetd cleanly (SIGTERM: coordinated shutdown takes its links down).</summary>
    public void Stop(string host) => State = LabRunner.StopHost(State, host, kill: false);

    /// <summary>Kills a host's vnetd with SIGKILL (a crash).</summary>
    public void Kill(string host) => State = LabRunner.StopHost(State, host, kill: true);

    /// <summary>Cuts a host off the substrate (its vnetd keeps running); <see cref="Heal"/> ends it.</summary>
    public void Cut(string host) => LabRunner.CutHost(Lab, State, host);

    /// <summary>Lets a cut host's traffic pass again.</summary>
    public void Heal(string host) => LabRunner.HealHost(State, host);

    /// <summary>Starts a host's vnetd again; it joins the cluster of the others.</summary>
    public void Start(string host) => State = LabRunner.StartHost(Lab, State, host);

    /// <summary>The host whose node has <paramref name="address"/> (akka.tcp://vnet@ip:port).</summary>
    public string HostOf(string address) => State.Hosts.First(h => address.Contains($"@{h.Address}:", StringComparison.Ordinal)).Name;

    /// <summary>Polls <paramref name="condition"/> (every 500 ms, at most <paramref name="timeout"/>); fails with <paramref name="what"/> and the logs.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (CommandException)
            {
                // A node that is down or still starting does not answer yet.
            }
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"{what} did not happen within {timeout.TotalSeconds:0} s{Environment.NewLine}{Logs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>Like <see cref="CommandAsync"/>, but null when the command fails or the node does not answer (for polling).</summary>
    public async Task<JsonNode?> TryCommandAsync(string host, string palette, string command, Dictionary<string, string>? args = null)
    {
        try
        {
            var (data, end) = await ConsoleAsync(host, palette, command, args);
            return end.Exit == 0 ? data : null;
        }
        catch (CommandException)
        {
            return null;
        }
    }

    /// <summary>Runs a command in a lab namespace.</summary>
    public Shell.Result Exec(string node, params string[] command) => Shell.InNetns(Ns(node), command, check: false, timeout: TimeSpan.FromSeconds(60));

    /// <summary>The daemon logs, for failure messages.</summary>
    public string Logs() => string.Join(Environment.NewLine, State.Processes.Select(p => $"--- {p.Name}{Environment.NewLine}{Shell.Tail(p.Log, 40)}"));

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _runner.Down(LabState.Read(State.Id) ?? State, quiet: true);
        return ValueTask.CompletedTask;
    }
}
