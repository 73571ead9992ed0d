using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace VNet.Actors.Discovery;

/// <summary>Discovery and bootstrap settings (the <c>vnet.discovery</c> HOCON section).</summary>
public sealed record DiscoverySettings
{
    /// <summary>The default group: organisation-local scope (RFC 2365), unlikely to clash.</summary>
    public const string DefaultGroup = "239.192.86.78";

    /// <summary>The default UDP port (outside the udp-p2p link port range 47000-47999).</summary>
    public const int DefaultPort = 48600;

    /// <summary>Whether this node listens and answers at all.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The multicast group queries go to.</summary>
    public string Group { get; init; } = DefaultGroup;

    /// <summary>The UDP port of the group (queries) and of this node's answers socket.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Largest TTL a search tries when the user gives none.</summary>
    public int TtlMax { get; init; } = 4;

    /// <summary>Time between two queries of a search (2 s).</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Substrate interfaces to query and listen on; empty = every up IPv4 interface except loopback.</summary>
    public ImmutableArray<string> Interfaces { get; init; } = [];

    /// <summary>Answers this node sends per second at most (a query flood must not become an answer flood).</summary>
    public double AnswerRate { get; init; } = 20;

    /// <summary>Datagrams per second the receive loop hands to the actor at most; the rest is dropped and counted.</summary>
    public double ReceiveRate { get; init; } = 500;

    /// <summary>How long a description of this host is reused for answers before it is read again.</summary>
    public TimeSpan DescriptionMaxAge { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cluster bootstrap by discovery when no seed node is configured.</summary>
    public bool Bootstrap { get; init; } = true;

    /// <summary>Largest TTL of the bootstrap search.</summary>
    public int BootstrapTtlMax { get; init; } = 4;

    /// <summary>Step of the bootstrap search (shorter than a user search: it delays the start).</summary>
    public TimeSpan BootstrapStep { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a bootstrapping node waits to become Up after choosing its seed before it searches again.</summary>
    public TimeSpan BootstrapJoinTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Only join a cluster that answers, never form one: set for a node that was downed and starts
    /// again, so that while it is cut off it does not found a second cluster beside the running one.
    /// </summary>
    public bool BootstrapJoinOnly { get; init; }

    /// <summary>Every problem with these settings, naming the key; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (!IPAddress.TryParse(Group, out var g) || g.AddressFamily != AddressFamily.InterNetwork || (g.GetAddressBytes()[0] & 0xF0) != 0xE0)
            yield return $"vnet.discovery.group '{Group}' is not an IPv4 multicast address (224.0.0.0/4)";
        if (Port is < 1 or > 65535) yield return $"vnet.discovery.port {Port} is out of range 1-65535";
        if (TtlMax is < 1 or > 255) yield return $"vnet.discovery.ttl-max {TtlMax} is out of range 1-255";
        if (BootstrapTtlMax is < 1 or > 255) yield return $"vnet.discovery.bootstrap-ttl-max {BootstrapTtlMax} is out of range 1-255";
        if (Step <= TimeSpan.Zero) yield return "vnet.discovery.step must be positive";
        if (BootstrapStep <= TimeSpan.Zero) yield return "vnet.discovery.bootstrap-step must be positive";
        if (!(AnswerRate > 0)) yield return "vnet.discovery.answer-rate must be positive";
        if (!(ReceiveRate > 0)) yield return "vnet.discovery.receive-rate must be positive";
    }
}
