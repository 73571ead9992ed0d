using System.Collections.Immutable;

namespace VNet.Messages;

/// <summary>A VM of a network file: its name, NIC MAC and, optionally, the host it is pinned to.</summary>
public sealed record NetworkVm(string Name, MacAddress Mac, string? Host)
{
    /// <summary>Line of the element in the file it was read from (0 when not read from a file).</summary>
    public int Line { get; init; }

    /// <summary>Column of the element in the file it was read from (0 when not read from a file).</summary>
    public int Column { get; init; }
}

/// <summary>A link of a network file: kind, the VMs it joins, its options and (optionally) a preferred protocol number.</summary>
public sealed record NetworkLink(string Id, LinkKind Kind, ImmutableArray<string> Vms, LinkOptions Options, int Protocol)
{
    /// <summary>Line of the element in the file it was read from (0 when not read from a file).</summary>
    public int Line { get; init; }

    /// <summary>Column of the element in the file it was read from (0 when not read from a file).</summary>
    public int Column { get; init; }
}

/// <summary>A virtual network as saved to and loaded from XML.</summary>
public sealed record NetworkDefinition(string Name, ImmutableArray<NetworkVm> Vms, ImmutableArray<NetworkLink> Links);

/// <summary>One problem found in a file, with where it is.</summary>
public sealed record FileProblem(string File, int Line, int Column, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}
