using VNet.Messages;

namespace VNet.Actors.Negotiation;

/// <summary>How far a protocol number must be unique on a host (HOCON <c>vnet.negotiation.protocol-numbers</c>).</summary>
public enum ProtocolNumberRule
{
    /// <summary>
    /// Unique per peer pair (the default): a point-to-point link's number is taken toward its peer's
    /// substrate address only, so a host carries up to 110 raw links toward each peer. The kernel
    /// delivers a raw packet only to the socket connected to its source address, so two links with the
    /// same number toward different peers never see each other's capsules.
    /// </summary>
    PerPeer,

    /// <summary>Unique per host, the paper's rule: at most 110 links on a host, whatever their peers.</summary>
    PerHost,
}

/// <summary>Which scope of the <see cref="ProtocolNumberTable"/> a link's number is taken in.</summary>
public static class ProtocolScopes
{
    /// <summary>
    /// The scope of <paramref name="link"/> on host <paramref name="self"/>: the peer's substrate
    /// address for a point-to-point link under <see cref="ProtocolNumberRule.PerPeer"/>, otherwise
    /// <see cref="ProtocolNumberTable.HostWide"/>: a multipoint segment's socket sees every packet of its
    /// number, and the kernel takes a VXLAN network identifier once per host (one device per VNI on its UDP port).
    /// </summary>
    public static string For(LinkSpec link, string self, ProtocolNumberRule rule)
    {
        if (rule == ProtocolNumberRule.PerHost || link.Kind.IsMultipoint() || link.Kind.IsKernel() || link.Endpoints.IsDefaultOrEmpty) return ProtocolNumberTable.HostWide;
        var peer = link.Endpoints.FirstOrDefault(e => e.Host != self);
        return peer?.SubstrateAddress ?? ProtocolNumberTable.HostWide;
    }

    /// <summary>" toward ADDRESS" for a peer scope, nothing for the host-wide one (for error texts).</summary>
    public static string Toward(string scope) => scope == ProtocolNumberTable.HostWide ? "" : $" toward {scope}";

    /// <summary>The HOCON name of a rule: <c>per-peer</c> or <c>per-host</c>.</summary>
    public static string Name(this ProtocolNumberRule rule) => rule == ProtocolNumberRule.PerHost ? "per-host" : "per-peer";

    /// <summary>Parses <c>per-peer</c> or <c>per-host</c>; false for anything else.</summary>
    public static bool TryParse(string? text, out ProtocolNumberRule rule)
    {
        foreach (var r in Enum.GetValues<ProtocolNumberRule>())
            if (string.Equals(r.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase)) { rule = r; return true; }
        rule = default;
        return false;
    }
}
