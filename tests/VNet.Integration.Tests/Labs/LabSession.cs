using VNet.Client;
using VNet.Host;
using VNet.Host.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

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

    /// <summary>The socket of a host's console.</summary>
    public string Socket(string host) => State.Hosts.First(h => h.Name == host).Socket;

    /// <summary>
    /// Sends a typed request to a host's node and returns its reply, whatever it is; throws
    /// <see cref="CommandException"/> when there is none (node unreachable, manager moving: exit 4).
    /// </summary>
    public async Task<TReply> AskAsync<TReply>(string host, IRequest<TReply> request) where TReply : ICommandReply
    {
        await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(Socket(host)));
        return await vnet.AskAsync(request);
    }

    /// <summary>Like <see cref="AskAsync"/>, but fails the test unless the reply is a <typeparamref name="TOk"/>.</summary>
    public async Task<TOk> ReplyAsync<TOk>(string host, ICommandRequest request) where TOk : ICommandReply
    {
        var reply = await AskUntypedAsync(host, request);
        return reply switch
        {
            TOk ok => ok,
            IRejection rejected => throw new Xunit.Sdk.XunitException($"{CommandJson.Discriminator(request.GetType())} on {host} was refused: {string.Join("; ", rejected.Problems)}"),
            _ => throw new Xunit.Sdk.XunitException($"{CommandJson.Discriminator(request.GetType())} on {host} answered {reply}, not {typeof(TOk).Name}"),
        };
    }

    /// <summary>Like <see cref="ReplyAsync"/>, but null when the request is refused or the node does not answer (for polling).</summary>
    public async Task<TOk?> TryReplyAsync<TOk>(string host, ICommandRequest request) where TOk : class, ICommandReply
    {
        try
        {
            return await AskUntypedAsync(host, request) as TOk;
        }
        catch (CommandException)
        {
            return null;
        }
    }

    /// <summary>
    /// The exit code a request ends with on a host's node, as the `vnet` client would: 0 for a reply,
    /// 1 for a refusal, else the code and error of a request without a reply (4: retry).
    /// </summary>
    public async Task<(int Exit, string? Error)> ExitOfAsync(string host, ICommandRequest request)
    {
        try
        {
            return await AskUntypedAsync(host, request) is IRejection r ? (ExitCodes.Failed, string.Join("; ", r.Problems)) : (ExitCodes.Ok, null);
        }
        catch (CommandException e)
        {
            return (e.Exit, e.Message);
        }
    }

    private async Task<ICommandReply> AskUntypedAsync(string host, ICommandRequest request)
    {
        await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(Socket(host)));
        return await vnet.SendAsync(request);
    }

    /// <summary>
    /// Creates a link through the cluster (console on the first host), then sets the VM MTU it reports
    /// on its VMs, as `lab up` does; returns the link's state as the topology manager answered it.
    /// </summary>
    public async Task<LinkState> CreateLinkAsync(string id, string kind, string vms, LinkOptions? options = null)
    {
        Assert.True(LinkKinds.TryParse(kind, out var linkKind), $"'{kind}' is not a link kind");
        var created = await ReplyAsync<LinkCreated>(State.Hosts[0].Name, new CreateLink(id, linkKind, [.. vms.Split(',')], options ?? LinkOptions.Default));
        var mtu = created.Link.VmMtu ?? await LabRunner.EndsMtu(State, created.Link, CancellationToken.None);
        foreach (var vm in vms.Split(','))
        {
            var host = Lab.Vms.First(v => v.Name == vm).Host;
            Shell.Ip("-n", Ns(vm), "link", "set", "eth0", "mtu", mtu.ToString());
            Shell.Ip("-n", Ns(host), "link", "set", vm, "mtu", mtu.ToString());
        }
        return created.Link;
    }

    /// <summary>The one link <paramref name="id"/> as the topology manager holds it (asked on <paramref name="host"/>).</summary>
    public async Task<LinkState> LinkAsync(string id, string host = "h1") =>
        (await ReplyAsync<LinkList>(host, new GetLinks(id))).Links.Single();

    /// <summary>The VM MTU of a link's ends, from the hosts (each end reports its own once it runs).</summary>
    public Task<int> VmMtuAsync(LinkState link) => LabRunner.EndsMtu(State, link, CancellationToken.None);

    /// <summary>The MAC of a lab VM.</summary>
    public Messages.MacAddress Mac(string vm) => Lab.Vms.First(v => v.Name == vm).Mac;

    /// <summary>Runs a streaming request on a host's node; returns its items and its reply.</summary>
    public async Task<(List<TItem> Items, TReply Reply)> StreamAsync<TItem, TReply>(string host, IStreamRequest<TItem, TReply> request) where TItem : ICommandItem where TReply : ICommandReply
    {
        await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(Socket(host)));
        var stream = vnet.StreamAsync(request);
        var items = new List<TItem>();
        await foreach (var item in stream) items.Add(item);
        return (items, stream.Reply);
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
