using VNet.Actors.Negotiation;

namespace VNet.Actors.Hosts;

/// <summary>What a HostActor needs to know about its host (from the <c>vnet.host</c> HOCON section).</summary>
public sealed record HostSettings(string Name, string SubstrateAddress)
{
    /// <summary>First UDP port offered for udp-p2p links.</summary>
    public int UdpPortFirst { get; init; } = 47000;

    /// <summary>Last UDP port offered for udp-p2p links.</summary>
    public int UdpPortLast { get; init; } = 47999;

    /// <summary>Rounds, reservation expiry and timeout of negotiations.</summary>
    public NegotiationLimits Negotiation { get; init; } = NegotiationLimits.Default;

    /// <summary>How far a protocol number must be unique: per peer pair (the default) or per host (the paper's rule).</summary>
    public ProtocolNumberRule ProtocolNumbers { get; init; } = ProtocolNumberRule.PerPeer;

    /// <summary>Multicast group of multipoint segments created here without one (segments share it, told apart by protocol number).</summary>
    public string MulticastGroup { get; init; } = "239.192.76.1";

    /// <summary>How often the host re-announces itself to the TopologyManager (which may have moved).</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the links of this host restart their workers and wait for a vanished VM interface before they fail.</summary>
    public Links.LinkRecovery LinkRecovery { get; init; } = Links.LinkRecovery.Default;
}
