using System.Collections.Immutable;
using System.Net;

namespace VNet.Messages;

/// <summary>The ways a link carries frames over the substrate.</summary>
public enum LinkKind
{
    /// <summary>One IPv4 packet per frame with the negotiated IP protocol number.</summary>
    RawP2P,
    /// <summary>One UDP datagram per frame between two agreed ports.</summary>
    UdpP2P,
    /// <summary>IPv4 packets with the segment's protocol number sent to a multicast group.</summary>
    RawMultipoint,
    /// <summary>UDP datagrams sent to a multicast group.</summary>
    UdpMultipoint,
    /// <summary>
    /// A kernel VXLAN device per end (RFC 7348, UDP port 4789) with the negotiated VXLAN network
    /// identifier; frames never reach userspace. Fast, but without per-frame options (delay, jitter,
    /// loss, compression, encryption) and without capsule authentication.
    /// </summary>
    KernelP2P,
}

/// <summary>Names used for link kinds in files and on the command line.</summary>
public static class LinkKinds
{
    /// <summary>The file/CLI name of a kind, e.g. <c>raw-p2p</c>.</summary>
    public static string Name(this LinkKind kind) => kind switch
    {
        LinkKind.RawP2P => "raw-p2p",
        LinkKind.UdpP2P => "udp-p2p",
        LinkKind.RawMultipoint => "raw-multipoint",
        LinkKind.UdpMultipoint => "udp-multipoint",
        LinkKind.KernelP2P => "kernel-p2p",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Every kind's name, for error messages: "raw-p2p, udp-p2p, …".</summary>
    public static string AllNames { get; } = string.Join(", ", Enum.GetValues<LinkKind>().Select(k => k.Name()));

    /// <summary>Parses a kind name; false when the name is not one of <see cref="AllNames"/>.</summary>
    public static bool TryParse(string? name, out LinkKind kind)
    {
        foreach (var k in Enum.GetValues<LinkKind>())
            if (string.Equals(k.Name(), name, StringComparison.OrdinalIgnoreCase)) { kind = k; return true; }
        kind = default;
        return false;
    }

    /// <summary>True for the two multipoint (hub-like segment) kinds.</summary>
    public static bool IsMultipoint(this LinkKind kind) => kind is LinkKind.RawMultipoint or LinkKind.UdpMultipoint;

    /// <summary>True for the two kinds that use an IP protocol number on the wire.</summary>
    public static bool UsesProtocolNumber(this LinkKind kind) => kind is LinkKind.RawP2P or LinkKind.RawMultipoint;

    /// <summary>True for the kinds the kernel forwards (a VXLAN device), negotiated over a VXLAN network identifier.</summary>
    public static bool IsKernel(this LinkKind kind) => kind is LinkKind.KernelP2P;

    /// <summary>
    /// What <paramref name="options"/> ask that <paramref name="kind"/> cannot do, each naming the
    /// option and why; empty when the kind honours all of them. The kernel kinds forward every frame
    /// in the kernel, which here has no netem: nothing is done per frame in userspace.
    /// </summary>
    public static IEnumerable<string> OptionProblems(this LinkKind kind, LinkOptions options)
    {
        if (!kind.IsKernel()) yield break;
        const string Why = "the kernel path forwards frames without VNet seeing them; use raw-p2p or udp-p2p for it";
        var name = kind.Name();
        if (options.DelayMs != 0) yield return $"delay {options.DelayMs} ms is not possible on a {name} link ({Why})";
        if (options.JitterMs != 0) yield return $"jitter {options.JitterMs} ms is not possible on a {name} link ({Why})";
        if (options.LossPercent != 0) yield return $"loss {options.LossPercent} % is not possible on a {name} link ({Why})";
        if (options.Compression != Compression.None) yield return $"compression {options.Compression.ToString().ToLowerInvariant()} is not possible on a {name} link ({Why})";
        if (options.Encrypt) yield return $"encrypt is not possible on a {name} link (VXLAN carries frames in clear; {Why})";
        if (options.FilterSource) yield return $"filter-src is not possible on a {name} link (the VM port is redirected whole to the VXLAN device)";
    }
}

/// <summary>Per-frame compression of a link.</summary>
public enum Compression
{
    /// <summary>Frames are sent as they are.</summary>
    None,
    /// <summary>Each frame is LZ4-compressed and sent compressed only when that makes it shorter.</summary>
    Lz4,
}

/// <summary>
/// Options of a link that can be set at creation and changed while it runs.
/// Zero means "off" for bandwidth, delay, jitter and loss.
/// </summary>
public sealed record LinkOptions
{
    /// <summary>Compression of each frame.</summary>
    public Compression Compression { get; init; } = Compression.None;

    /// <summary>DSCP (0–63) written into the TOS byte of every capsule.</summary>
    public int Dscp { get; init; }

    /// <summary>Shaped rate in bits per second; 0 = not shaped.</summary>
    public long BandwidthBitsPerSecond { get; init; }

    /// <summary>Token-bucket depth in bytes; 0 = a default derived from the rate.</summary>
    public int BurstBytes { get; init; }

    /// <summary>Added one-way delay in milliseconds.</summary>
    public double DelayMs { get; init; }

    /// <summary>Uniform jitter (± milliseconds) around the delay.</summary>
    public double JitterMs { get; init; }

    /// <summary>Probability in percent (0–100) that a frame is dropped.</summary>
    public double LossPercent { get; init; }

    /// <summary>
    /// Encrypt each frame with the link key (AES-GCM), not only authenticate it. Every capsule is
    /// authenticated either way; a receiver follows the capsule's own flag, so this can change live.
    /// </summary>
    public bool Encrypt { get; init; }

    /// <summary>
    /// Authenticate every capsule with the link key (the default). Off (<c>--auth off</c>) is only for
    /// a trusted substrate or for measuring: capsules then carry no tag and are not checked, so any
    /// host that can reach the link's address or port can inject frames into the VM. Set at creation
    /// (both ends have it from the link's spec); cannot be combined with <see cref="Encrypt"/>.
    /// </summary>
    public bool Authenticate { get; init; } = true;

    /// <summary>
    /// Capture only frames whose source MAC is the VM NIC's own (<c>ether src &lt;vm-mac&gt;</c>), for
    /// a host interface shared with other traffic. Off by default: the VM port is dedicated, so every
    /// frame the VM sends crosses whatever its source MAC (bridges, nested guests, VRRP). Set at
    /// creation; the capture socket is opened with it.
    /// </summary>
    public bool FilterSource { get; init; }

    /// <summary>The options of a link created without any.</summary>
    public static LinkOptions Default { get; } = new();

    /// <summary>Largest bandwidth accepted: 100 Gbit/s.</summary>
    public const long MaxBandwidth = 100_000_000_000;

    /// <summary>Largest delay or jitter accepted: 60 s.</summary>
    public const double MaxDelayMs = 60_000;

    /// <summary>Every problem with these options, as text naming the option; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (Dscp is < 0 or > 63) yield return $"dscp {Dscp} is out of range 0-63";
        if (BandwidthBitsPerSecond is < 0 or > MaxBandwidth) yield return $"bandwidth {BandwidthBitsPerSecond} bit/s is out of range 0-{MaxBandwidth}";
        if (BurstBytes is < 0 or > 64 * 1024 * 1024) yield return $"burst {BurstBytes} bytes is out of range 0-67108864";
        if (!(DelayMs >= 0 && DelayMs <= MaxDelayMs)) yield return $"delay {DelayMs} ms is out of range 0-{MaxDelayMs}";
        if (!(JitterMs >= 0 && JitterMs <= MaxDelayMs)) yield return $"jitter {JitterMs} ms is out of range 0-{MaxDelayMs}";
        if (JitterMs > DelayMs) yield return $"jitter {JitterMs} ms is larger than delay {DelayMs} ms";
        if (!(LossPercent >= 0 && LossPercent <= 100)) yield return $"loss {LossPercent} % is out of range 0-100";
        if (Encrypt && !Authenticate) yield return "encrypt needs authentication: --encrypt cannot be used on a link with --auth off";
    }
}

/// <summary>
/// One end of a link: the VM (by name and MAC) and the host that carries it, with that host's
/// substrate address. <see cref="HostInterface"/> is the host-side interface of the VM's NIC,
/// filled in by the host that owns the endpoint.
/// </summary>
public sealed record LinkEndpoint(string Host, string Vm, MacAddress Mac, string SubstrateAddress)
{
    /// <summary>Host-side interface (tap/veth) of the VM NIC, if the owning host has resolved it.</summary>
    public string? HostInterface { get; init; }

    /// <summary>UDP port this end receives on (udp-p2p), agreed during negotiation; 0 otherwise.</summary>
    public int Port { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Vm}@{Host}({Mac})";
}

/// <summary>The whole description of a link, as negotiated between hosts.</summary>
public sealed record LinkSpec(string Id, LinkKind Kind, ImmutableArray<LinkEndpoint> Endpoints, LinkOptions Options)
{
    /// <summary>IP protocol number (raw kinds), agreed by negotiation; 0 before that.</summary>
    public int Protocol { get; init; }

    /// <summary>A protocol number to propose first if it is free (e.g. from a saved network file); 0 = none.</summary>
    public int PreferredProtocol { get; init; }

    /// <summary>VXLAN network identifier (kernel kinds), agreed by negotiation; 0 before that.</summary>
    public int Vni { get; init; }

    /// <summary>The number the negotiation agreed on: the VNI of a kernel kind, else the protocol number.</summary>
    [System.Text.Json.Serialization.JsonIgnore] // derived from Kind, Vni and Protocol, which are written
    public int Negotiated => Kind.IsKernel() ? Vni : Protocol;

    /// <summary>This link with <paramref name="number"/> as its VNI (kernel kinds) or protocol number.</summary>
    public LinkSpec WithNegotiated(int number) => Kind.IsKernel() ? this with { Vni = number } : this with { Protocol = number };

    /// <summary>Multicast group (multipoint kinds).</summary>
    public string? Group { get; init; }

    /// <summary>UDP port of the group (udp-multipoint).</summary>
    public int GroupPort { get; init; }

    /// <summary>
    /// The link key (32 random bytes) that authenticates every capsule, chosen by the initiator
    /// during negotiation, one per link or segment; default before that. It is carried in the
    /// negotiation messages and never shown, logged or saved: the record's <c>ToString</c> says only
    /// whether it is set, and `link show`, `link stats` and network files do not carry it.
    /// </summary>
    public ImmutableArray<byte> Key { get; init; } = ImmutableArray<byte>.Empty; // not default: Hyperion cannot write a default ImmutableArray

    /// <summary>
    /// Which making of the link this is, chosen by the topology manager each time it asks for the
    /// link to be negotiated; empty when no manager asked. Both ends report it with their state, so
    /// a report about an earlier life of the link (deleted and made again) is told apart.
    /// </summary>
    public Guid Attempt { get; init; }

    /// <summary>True when <see cref="Key"/> has the length of a link key.</summary>
    public bool HasKey => !Key.IsDefault && Key.Length == KeyLength;

    /// <summary>Bytes of a link key.</summary>
    public const int KeyLength = 32;

    /// <summary>First unassigned IP protocol number usable for links (IANA: 143–252 unassigned).</summary>
    public const int FirstProtocol = 143;

    /// <summary>Last unassigned IP protocol number usable for links.</summary>
    public const int LastProtocol = 252;

    /// <summary>First VXLAN network identifier used for kernel links (a block of 1000, away from the small VNIs set up by hand).</summary>
    public const int FirstVni = 8000;

    /// <summary>Last VXLAN network identifier used for kernel links.</summary>
    public const int LastVni = 8999;

    /// <summary>Link ids: letters, digits, '-', '_' and '.', 1–32 characters.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Every problem with this link description; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (!IsValidId(Id)) yield return $"link id '{Id}' is not valid (1-32 letters, digits, '-', '_', '.')";
        if (Endpoints.IsDefaultOrEmpty) { yield return $"link {Id} has no endpoints"; yield break; }
        if (!Kind.IsMultipoint() && Endpoints.Length != 2) yield return $"link {Id}: a {Kind.Name()} link has exactly 2 endpoints, not {Endpoints.Length}";
        if (Kind.IsMultipoint() && Endpoints.Length < 2) yield return $"link {Id}: a {Kind.Name()} segment needs at least 2 members";
        foreach (var e in Endpoints)
            if (!IPAddress.TryParse(e.SubstrateAddress, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                yield return $"link {Id}: endpoint {e.Vm} has a malformed substrate address '{e.SubstrateAddress}'";
        foreach (var dup in Endpoints.GroupBy(e => e.Mac).Where(g => g.Count() > 1))
            yield return $"link {Id}: MAC {dup.Key} appears on {dup.Count()} endpoints";
        if (Protocol != 0 && Protocol is < FirstProtocol or > LastProtocol)
            yield return $"link {Id}: protocol number {Protocol} is out of range {FirstProtocol}-{LastProtocol}";
        if (Vni != 0 && Vni is < FirstVni or > LastVni)
            yield return $"link {Id}: VXLAN network identifier {Vni} is out of range {FirstVni}-{LastVni}";
        foreach (var p in Options.Problems().Concat(Kind.OptionProblems(Options))) yield return $"link {Id}: {p}";
    }

    /// <summary>The endpoint carried by <paramref name="host"/>, or null.</summary>
    public LinkEndpoint? EndpointOn(string host) => Endpoints.FirstOrDefault(e => e.Host == host);

    // The record's ToString (used by logs and exception texts) lists every member but the key.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, Kind = {Kind}, Endpoints = [{string.Join(", ", Endpoints.IsDefault ? [] : Endpoints)}], Options = {Options}, ");
        builder.Append($"Protocol = {Protocol}, Vni = {Vni}, PreferredProtocol = {PreferredProtocol}, Group = {Group}, GroupPort = {GroupPort}, Attempt = {Attempt}, Key = {(HasKey ? "(set)" : "(none)")}");
        return true;
    }
}
