using System.Collections.Immutable;

namespace VNet.Messages;

/// <summary>
/// A link of the desired network (the intent): what the user asked for, plus where it was last
/// placed. Replicated by the TopologyManager, so a new singleton re-creates the same network.
/// </summary>
/// <param name="Id">The link id.</param>
/// <param name="Kind">The link kind.</param>
/// <param name="Vms">The VMs joined, as asked (<c>vm</c> or <c>vm@host</c> when pinned).</param>
/// <param name="Options">The link options.</param>
public sealed record DesiredLink(string Id, LinkKind Kind, ImmutableArray<string> Vms, LinkOptions Options) : IReplicatedValue
{
    /// <summary>The link as last created (hosts, MACs, protocol number), or null before the first creation.</summary>
    public LinkSpec? Placement { get; init; }
}

/// <summary>A host of the registry, replicated so a new singleton knows hosts that are down.</summary>
public sealed record KnownHost(HostInfo Info) : IReplicatedValue;

/// <summary>A VM named in a link request: <c>vm</c>, or <c>vm@host</c> to pin it to a host.</summary>
public readonly record struct VmRef(string Vm, string? Host)
{
    /// <summary>Parses <c>vm</c> or <c>vm@host</c>.</summary>
    public static VmRef Parse(string text)
    {
        var at = text.IndexOf('@');
        return at < 0 ? new VmRef(text.Trim(), null) : new VmRef(text[..at].Trim(), text[(at + 1)..].Trim());
    }

    /// <inheritdoc/>
    public override string ToString() => Host is null ? Vm : $"{Vm}@{Host}";
}
