using Akka.Actor;
using VNet.Client;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands;

/// <summary>
/// Carries out the typed console requests on this node: requests about links, hosts and the network
/// go to the topology manager, which owns that state and answers with the request's reply (through
/// the reach gate of <see cref="CommandContext.AskAsync"/>, so a manager on the move is answered at
/// once with exit code 4, retry); cluster, actor and host requests are answered here, by the node's
/// own actors. Palettes parse text into these requests and render the replies; typed clients send
/// the requests themselves. Every reply is checked to be one of its request's.
/// </summary>
public sealed class CommandDispatcher
{
    private static readonly Func<ICommandItem, Task> NoItems = _ => Task.CompletedTask;

    private readonly CommandContext _context;
    private readonly NodeRequests _node;
    private readonly LinkRequests _links;
    private readonly LogRequests _log;
    private readonly DiscoveryRequests? _discovery;

    /// <summary>A dispatcher for the node of <paramref name="context"/>, whose discovery actor is <paramref name="discovery"/> (null: discovery is off).</summary>
    public CommandDispatcher(CommandContext context, IActorRef? discovery)
    {
        _context = context;
        _node = new NodeRequests(context);
        _links = new LinkRequests(context, this);
        _log = new LogRequests(context);
        _discovery = discovery is null ? null : new DiscoveryRequests(context, discovery);
    }

    /// <summary>The node's name.</summary>
    public string NodeName => _context.NodeName;

    /// <summary>
    /// Carries out <paramref name="request"/>; items it streams go to <paramref name="emit"/> as they come.
    /// Throws <see cref="CommandException"/> when there is no reply to give (retry, timeout, not a request).
    /// </summary>
    public async Task<ICommandReply> ExecuteAsync(ICommandRequest request, Func<ICommandItem, Task>? emit = null, CancellationToken cancel = default)
    {
        emit ??= NoItems;
        var reply = request switch
        {
            CreateLink r => await Topology(r, $"link create {r.Id}", TimeSpan.FromSeconds(40)),
            GetLinks r => await Topology(r, "link show"),
            SetLinkOptions r => await Topology(r, $"link set {r.Id}"),
            DeleteLink r => await Topology(r, $"link delete {r.Id}"),
            GetLinkStats r => await _links.StatsAsync(r),
            CaptureLink r => await _links.CaptureAsync(r, emit, cancel),
            GetNetwork r => await Topology(r, "net show"),
            LoadNetwork r => await LoadAsync(r, cancel),
            // Each link of the file may take the manager's whole create timeout (and a rollback its deletes).
            ApplyNetwork r => await Topology(r, $"net load {r.Path}", TimeSpan.FromSeconds(40 + 25 * r.Network.Links.Length)),
            GetHosts r => await Topology(r, "hosts show"),
            GetHostInfo => await _node.HostInfoAsync(),
            GetHostLinks => await _node.HostLinksAsync(),
            GetMembers => await _node.MembersAsync(),
            GetClusterStatus => _node.ClusterStatus(),
            GetLeader => _node.Leader(),
            LeaveCluster r => _node.Leave(r),
            DownUnreachable => _node.DownUnreachable(),
            TailCluster r => await _node.TailAsync(r, emit, cancel),
            GetActorSystem => _node.ActorSystem(),
            GetActorHierarchy r => await _node.HierarchyAsync(r, cancel),
            SearchHosts r => await Discovery.SearchAsync(r, emit, cancel),
            GetDiscoveryStats => await Discovery.StatsAsync(),
            TailLog r => await _log.TailAsync(r, emit, cancel),
            GetLogLevel => _log.Level(),
            SetLogLevel r => _log.SetLevel(r),
            _ => throw new CommandException($"'{CommandJson.Discriminator(request.GetType())}' is not a request this node carries out", ExitCodes.Usage),
        };
        var expected = ReplyType(request.GetType());
        if (!expected.IsInstanceOfType(reply))
            throw new CommandException($"unexpected answer to {CommandJson.Discriminator(request.GetType())}: {reply}");
        return reply;
    }

    private DiscoveryRequests Discovery => _discovery ?? throw new CommandException($"discovery is off on {_context.NodeName} (vnet.discovery.enabled = off)", ExitCodes.Usage);

    /// <summary>Carries out a request and returns its reply, typed.</summary>
    public async Task<TReply> AskAsync<TReply>(IRequest<TReply> request, CancellationToken cancel = default) where TReply : ICommandReply =>
        (TReply)await ExecuteAsync(request, null, cancel);

    /// <summary>The reply interface <c>TReply</c> of a request type's <see cref="IRequest{TReply}"/>.</summary>
    public static Type ReplyType(Type request) =>
        request.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)).GetGenericArguments()[0];

    private async Task<ICommandReply> Topology(ICommandRequest request, string what, TimeSpan? timeout = null) =>
        await _context.AskAsync(_context.Topology, request, what, timeout) switch
        {
            ICommandReply reply => reply,
            var other => throw new CommandException($"unexpected answer from the topology manager to {what}: {other}"),
        };

    /// <summary>
    /// <c>net load</c>: the file is parsed here, on the node the console is connected to and off every
    /// actor's thread, bounded by the file limits; the topology manager only ever sees the parsed network.
    /// </summary>
    private async Task<ICommandReply> LoadAsync(LoadNetwork load, CancellationToken cancel)
    {
        var parsed = await Task.Run(() => NetworkContent.Parse(load.Path, load.Content), cancel);
        if (parsed.Rejected is { } rejected) return rejected;
        return await Topology(new ApplyNetwork(load.Path, parsed.Network!, load.DryRun), $"net load {load.Path}", TimeSpan.FromSeconds(40 + 25 * parsed.Network!.Links.Length));
    }
}
