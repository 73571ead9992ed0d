namespace VNet.Messages;

/// <summary>
/// Marker for every message that crosses the cluster. Serialization bindings and Hyperion's
/// allow-list name this interface (and the value types in this assembly), never individual types.
/// </summary>
public interface IVNetMessage;

/// <summary>Messages of the OK/NOK protocol-number negotiation.</summary>
public interface INegotiationMessage : IVNetMessage;

/// <summary>Messages that create, change, inspect or delete links on a host.</summary>
public interface ILinkMessage : IVNetMessage;

/// <summary>Messages to and from the TopologyManager singleton.</summary>
public interface ITopologyMessage : IVNetMessage;

/// <summary>Messages of resource discovery and host inventory.</summary>
public interface IDiscoveryMessage : IVNetMessage;

/// <summary>
/// Values the TopologyManager replicates across the cluster with Akka.DistributedData (the desired
/// network and the host registry), so they outlive the node that runs the singleton. Bound to
/// Hyperion through <see cref="IVNetMessage"/>, like the messages.
/// </summary>
public interface IReplicatedValue : IVNetMessage;
