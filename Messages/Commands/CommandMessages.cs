using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>
/// Every console command as a message: its request, the items it streams and its replies. They cross
/// the cluster (a node's console asks the topology manager) with Hyperion and the console socket as
/// JSON (<see cref="CommandJson"/>), with the type written as a kebab-case discriminator.
/// </summary>
public interface ICommandMessage : IVNetMessage;

/// <summary>A console command as a request.</summary>
public interface ICommandRequest : ICommandMessage;

/// <summary>A request answered by exactly one reply of the closed set <typeparamref name="TReply"/>.</summary>
/// <typeparam name="TReply">The reply interface: every reply of this request implements it, nothing else does.</typeparam>
public interface IRequest<TReply> : ICommandRequest where TReply : ICommandReply;

/// <summary>
/// A request that streams items of <typeparamref name="TItem"/> (capture chunks, membership events,
/// search progress) before its one reply.
/// </summary>
public interface IStreamRequest<TItem, TReply> : IRequest<TReply> where TItem : ICommandItem where TReply : ICommandReply;

/// <summary>A reply to a console request.</summary>
public interface ICommandReply : ICommandMessage;

/// <summary>One streamed item of a <see cref="IStreamRequest{TItem, TReply}"/>.</summary>
public interface ICommandItem : ICommandMessage;

/// <summary>
/// A reply that says the request was not carried out, and why: the console ends with exit code 1
/// and prints the problems.
/// </summary>
public interface IRejection : ICommandReply
{
    /// <summary>Every reason, each a full sentence naming what is wrong and where.</summary>
    ImmutableArray<string> Problems { get; }
}
