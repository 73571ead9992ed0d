using VNet.Messages.Commands;

namespace VNet.Client;

/// <summary>
/// The typed client of a VNet node's console: sends a request of <c>VNet.Messages.Commands</c> and
/// returns its reply, one of the request's closed set (<c>link create</c> answers
/// <see cref="LinkCreated"/> or <see cref="LinkRejected"/>, never anything else). Requests that stream
/// (<c>link capture</c>, <c>cluster tail</c>, <c>discover search</c>) yield their items first. One
/// request at a time per client; a program that wants several at once opens several clients.
/// </summary>
/// <example>
/// <code>
/// await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix("/run/vnet/lab/h1.sock"));
/// switch (await vnet.AskAsync(new CreateLink("l1", LinkKind.RawP2P, ["vm1", "vm2"], LinkOptions.Default)))
/// {
///     case LinkCreated created: Console.WriteLine($"VM MTU {created.Link.VmMtu}"); break;
///     case LinkRejected rejected: Console.WriteLine(string.Join("; ", rejected.Problems)); break;
/// }
/// </code>
/// </example>
public sealed class VNetClient : IAsyncDisposable
{
    private readonly ConsoleConnection _connection;
    private readonly SemaphoreSlim _one = new(1, 1);

    private VNetClient(ConsoleConnection connection) => _connection = connection;

    /// <summary>The node's greeting: its name, address and palettes.</summary>
    public ConsoleLine.Hello Hello => _connection.Hello;

    /// <summary>
    /// Connects to a node's console; throws <see cref="CommandException"/> (exit 3) when it cannot be
    /// reached. A TCP console off loopback needs <paramref name="tls"/>.
    /// </summary>
    public static async Task<VNetClient> ConnectAsync(ConsoleEndpoint endpoint, TimeSpan? timeout = null, CancellationToken cancel = default, ConsoleTlsStep? tls = null) =>
        new(await ConsoleConnection.ConnectAsync(endpoint, timeout, cancel, tls));

    /// <summary>
    /// Sends <paramref name="request"/> and returns its reply. A reply that refuses the request
    /// (<see cref="IRejection"/>) is returned like any other; <see cref="CommandException"/> is thrown
    /// only when there is no reply: the node could not be reached or closed the connection
    /// (<see cref="ExitCodes.Unreachable"/>), the topology manager is moving (<see cref="ExitCodes.Retry"/>),
    /// or the node did not understand the request (<see cref="ExitCodes.Usage"/>).
    /// </summary>
    public async Task<TReply> AskAsync<TReply>(IRequest<TReply> request, CancellationToken cancel = default) where TReply : ICommandReply
    {
        var reply = new ReplyBox<TReply>();
        await foreach (var _ in ExchangeAsync<ICommandItem, TReply>(request, reply, cancel))
        {
            // A request that is not a stream request has no items; a node that sends some anyway is ignored.
        }
        return reply.Value!;
    }

    /// <summary>
    /// Sends any request (read from a script, say) and returns its reply, whichever of the request's
    /// it is; fails as <see cref="AskAsync{TReply}"/> does. Streamed items are dropped.
    /// </summary>
    public async Task<ICommandReply> SendAsync(ICommandRequest request, CancellationToken cancel = default)
    {
        var reply = new ReplyBox<ICommandReply>();
        await foreach (var _ in ExchangeAsync<ICommandItem, ICommandReply>(request, reply, cancel))
        {
        }
        return reply.Value!;
    }

    /// <summary>
    /// Sends a streaming request: enumerate the result for its items; when the enumeration ends,
    /// <see cref="ReplyStream{TItem, TReply}.Reply"/> holds the reply.
    /// </summary>
    public ReplyStream<TItem, TReply> StreamAsync<TItem, TReply>(IStreamRequest<TItem, TReply> request) where TItem : ICommandItem where TReply : ICommandReply =>
        new(this, request);

    /// <summary>Yields the items of one request; its reply goes into <paramref name="reply"/>.</summary>
    internal async IAsyncEnumerable<TItem> ExchangeAsync<TItem, TReply>(ICommandRequest request, ReplyBox<TReply> reply,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel) where TItem : ICommandItem where TReply : ICommandReply
    {
        await _one.WaitAsync(cancel);
        try
        {
            await foreach (var line in _connection.ExchangeAsync(new ConsoleLine.Ask(request), cancel))
            {
                switch (line)
                {
                    case ConsoleLine.Item { Value: TItem item }:
                        yield return item;
                        break;
                    case ConsoleLine.Reply { Value: TReply r }:
                        reply.Value = r;
                        break;
                    case ConsoleLine.Reply other:
                        throw new CommandException($"the node answered {CommandJson.Discriminator(request.GetType())} with {CommandJson.Discriminator(other.Value.GetType())}, which is not one of its replies");
                    case ConsoleLine.End when reply.Value is not null:
                        yield break;
                    case ConsoleLine.End end:
                        throw new CommandException(end.Error ?? $"the node ended the request without a reply (exit {end.Exit})", end.Exit == ExitCodes.Ok ? ExitCodes.Failed : end.Exit);
                }
            }
            throw new CommandException("the node closed the connection", ExitCodes.Unreachable);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

/// <summary>Where an exchange puts its reply.</summary>
internal sealed class ReplyBox<TReply> where TReply : ICommandReply
{
    public TReply? Value { get; set; }
}

/// <summary>The items of a streaming request, then its reply.</summary>
public sealed class ReplyStream<TItem, TReply> : IAsyncEnumerable<TItem> where TItem : ICommandItem where TReply : ICommandReply
{
    private readonly VNetClient _client;
    private readonly IStreamRequest<TItem, TReply> _request;
    private readonly ReplyBox<TReply> _reply = new();

    internal ReplyStream(VNetClient client, IStreamRequest<TItem, TReply> request)
    {
        _client = client;
        _request = request;
    }

    /// <summary>The reply, once every item was read.</summary>
    public TReply Reply => _reply.Value ?? throw new InvalidOperationException("the stream has not ended yet: read every item first");

    /// <inheritdoc/>
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        _client.ExchangeAsync<TItem, TReply>(_request, _reply, cancellationToken).GetAsyncEnumerator(cancellationToken);
}
