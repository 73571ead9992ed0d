using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="GetNetwork"/>.</summary>
public interface IGetNetworkReply : ICommandReply;

/// <summary>Replies to <see cref="LoadNetwork"/> and <see cref="ApplyNetwork"/>.</summary>
public interface ILoadNetworkReply : ICommandReply;

/// <summary>
/// <c>net show</c> and <c>net save</c>: the running network (the links the topology manager holds
/// and the VMs they join); <c>net save</c> writes it on the client.
/// </summary>
public sealed record GetNetwork : IRequest<IGetNetworkReply>
{
    /// <summary>The single instance.</summary>
    public static GetNetwork Instance { get; } = new();
}

/// <summary>The running network, in the model of the network file.</summary>
public sealed record RunningNetwork(NetworkDefinition Network) : IGetNetworkReply;

/// <summary>
/// <c>net load</c>: a network file as the client read it. The node the console is connected to
/// parses it within the file limits, off every actor's thread, and hands the parsed network to the
/// topology manager as <see cref="ApplyNetwork"/>.
/// </summary>
/// <param name="Path">The file's name on the client (for problems: path:line:column).</param>
/// <param name="Content">The file's bytes.</param>
/// <param name="DryRun">Only check; create nothing.</param>
public sealed record LoadNetwork(string Path, byte[] Content, bool DryRun) : IRequest<ILoadNetworkReply>;

/// <summary>
/// A parsed network for the topology manager: it checks everything against the cluster first (unknown
/// hosts or VMs, MACs that differ, ids in use) and applies nothing when anything is wrong; when a
/// link then fails to come up, it deletes the ones this load created.
/// </summary>
public sealed record ApplyNetwork(string Path, NetworkDefinition Network, bool DryRun) : IRequest<ILoadNetworkReply>;

/// <summary>The network fits the cluster and (unless a dry run) every link of it was created.</summary>
/// <param name="Path">The file loaded.</param>
/// <param name="DryRun">True when only checked.</param>
/// <param name="Links">The links created (empty for a dry run).</param>
/// <param name="Checked">How many links the file holds.</param>
public sealed record NetworkLoaded(string Path, bool DryRun, ImmutableArray<LinkState> Links, int Checked) : ILoadNetworkReply;

/// <summary>
/// The file was refused: nothing was applied (or what the load had created was deleted again).
/// Every problem names the file, line and column.
/// </summary>
public sealed record NetworkRejected(string Path, ImmutableArray<FileProblem> FileProblems) : ILoadNetworkReply, IRejection
{
    /// <inheritdoc/>
    public ImmutableArray<string> Problems => [.. FileProblems.Select(p => p.ToString())];
}
