using System.Collections.Immutable;

namespace VNet.Messages.Commands;

/// <summary>Replies to <see cref="GetActorSystem"/>.</summary>
public interface IGetActorSystemReply : ICommandReply;

/// <summary>Replies to <see cref="GetActorHierarchy"/>.</summary>
public interface IGetActorHierarchyReply : ICommandReply;

/// <summary><c>actor system</c>: the node's actor system and process.</summary>
public sealed record GetActorSystem : IRequest<IGetActorSystemReply>
{
    /// <summary>The single instance.</summary>
    public static GetActorSystem Instance { get; } = new();
}

/// <summary>Name, address, uptime, versions and process figures of the node.</summary>
public sealed record ActorSystemInfo(string Name, string Address, string Node, TimeSpan Uptime, string? Akka, string Dotnet, int Pid, int Threads, long RssMiB, long GcHeapMiB) : IGetActorSystemReply;

/// <summary><c>actor hierarchy</c>: the actors under /user, <paramref name="Depth"/> levels deep (1-8).</summary>
public sealed record GetActorHierarchy(int Depth = 4) : IRequest<IGetActorHierarchyReply>;

/// <summary>One actor of the tree: its path and its depth under /user (1 = a child of /user).</summary>
public sealed record ActorNode(string Path, int Depth);

/// <summary>The actors, depth first (reads as a tree).</summary>
public sealed record ActorHierarchy(string Node, ImmutableArray<ActorNode> Actors) : IGetActorHierarchyReply;
