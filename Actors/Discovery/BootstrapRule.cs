using System.Net;
using VNet.Messages;

namespace VNet.Actors.Discovery;

/// <summary>A node heard during bootstrap: its address, where it stands, and the seed it chose (if it chose one).</summary>
public sealed record BootstrapPeer(string NodeAddress, MemberState State, string? Seed);

/// <summary>
/// How a node without seed nodes joins a cluster, as a pure function of what it
/// heard during its bootstrap search. In order:
/// <list type="number">
/// <item>some peer is an Up member: join its cluster (through the lowest such address);</item>
/// <item>some peer has already chosen a seed: follow the lowest chosen seed, so a node that arrives
/// while others are forming a cluster joins theirs instead of forming its own;</item>
/// <item>otherwise every fresh node takes the lowest address among itself and the fresh nodes it
/// heard: that node joins itself and forms the cluster, the others join it.</item>
/// </list>
/// Nodes that start together hear each other (queries carry the querier's address and state both
/// ways), so they compute the same lowest address; nodes that choose different seeds still end in
/// one cluster as long as the chosen seeds form chains that end in one self-joined node.
/// </summary>
public static class BootstrapRule
{
    /// <summary>Decides the seed for <paramref name="self"/>; the result equals <paramref name="self"/> when this node forms the cluster.</summary>
    public static string Decide(string self, IEnumerable<BootstrapPeer> peers)
    {
        var heard = peers.Where(p => p.NodeAddress.Length > 0 && p.NodeAddress != self).ToList();
        var up = heard.Where(p => p.State == MemberState.Up).Select(p => p.NodeAddress).ToList();
        if (up.Count > 0) return Lowest(up);
        var chosen = heard.Where(p => p.State is MemberState.NotMember or MemberState.Joining && !string.IsNullOrEmpty(p.Seed)).Select(p => p.Seed!).ToList();
        if (chosen.Count > 0) return Lowest(chosen);
        var fresh = heard.Where(p => p.State == MemberState.NotMember).Select(p => p.NodeAddress).Append(self).ToList();
        return Lowest(fresh);
    }

    /// <summary>The lowest of some node addresses (<see cref="Compare"/>).</summary>
    public static string Lowest(IEnumerable<string> addresses) => addresses.Order(Comparer<string>.Create(Compare)).First();

    /// <summary>
    /// Orders node addresses (<c>akka.tcp://vnet@192.0.2.10:4053</c>) by IPv4 address as a number,
    /// then port, then the whole text; addresses whose host is not an IPv4 literal sort after those
    /// that are, by text.
    /// </summary>
    public static int Compare(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        var pa = Parse(a);
        var pb = Parse(b);
        if (pa is { } x && pb is { } y)
        {
            var c = x.Ip.CompareTo(y.Ip);
            if (c == 0) c = x.Port.CompareTo(y.Port);
            return c != 0 ? c : string.CompareOrdinal(a, b);
        }
        if (pa is not null) return -1;
        if (pb is not null) return 1;
        return string.CompareOrdinal(a, b);
    }

    private static (uint Ip, int Port)? Parse(string address)
    {
        var at = address.LastIndexOf('@');
        var colon = address.LastIndexOf(':');
        if (at < 0 || colon < at) return null;
        if (!IPAddress.TryParse(address[(at + 1)..colon], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return null;
        if (!int.TryParse(address[(colon + 1)..], out var port)) return null;
        var b = ip.GetAddressBytes();
        return ((uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]), port);
    }
}
