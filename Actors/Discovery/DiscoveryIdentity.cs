namespace VNet.Actors.Discovery;

/// <summary>Who this node is in discovery datagrams: its host name and Akka node address.</summary>
public sealed record DiscoveryIdentity(string Host, string NodeAddress)
{
    /// <summary>True when a datagram names this node (its own query or answer come back through a router).</summary>
    public bool IsSelf(string host, string? nodeAddress) => host == Host || (!string.IsNullOrEmpty(nodeAddress) && nodeAddress == NodeAddress);
}
