using System.Globalization;
using System.Text;
using VNet.Messages;

namespace VNet.Capture.Kernel;

/// <summary>One run of <c>ip</c> or <c>tc</c>: the tool and its arguments (no shell, no quoting).</summary>
public sealed record KernelCommand(string Tool, IReadOnlyList<string> Arguments)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Tool} {string.Join(' ', Arguments)}";
}

/// <summary>
/// The end of a kernel-p2p link on one host, as the kernel will hold it: a VXLAN device toward the
/// peer and the VM port, joined by two tc <c>mirred</c> redirects (VM port ingress → VXLAN egress,
/// VXLAN ingress → VM port egress).
/// </summary>
/// <param name="LinkId">The link id.</param>
/// <param name="Vni">The negotiated VXLAN network identifier.</param>
/// <param name="Local">This host's substrate address.</param>
/// <param name="Remote">The peer's substrate address.</param>
/// <param name="VmPort">The host-side interface of the VM NIC.</param>
/// <param name="VmMtu">The MTU the VM's interface gets (substrate MTU − <see cref="VxlanCommands.Overhead"/>).</param>
public sealed record VxlanEnd(string LinkId, int Vni, string Local, string Remote, string VmPort, int VmMtu)
{
    /// <summary>The VXLAN device's name, derived from the link id (see <see cref="VxlanCommands.DeviceName"/>).</summary>
    public string Device => VxlanCommands.DeviceName(LinkId);
}

/// <summary>
/// Builds the <c>ip</c>/<c>tc</c> commands of a kernel link: pure, tested on its output; the
/// <see cref="VxlanLink"/> runs them.
/// <para>
/// Why mirred redirects rather than a bridge: a bridge is one more host interface the host stack is
/// attached to (broadcasts flooded to it reach the host), learns MACs and never forwards the
/// 802.1D link-local group (01:80:c2:00:00:0x: STP, LACP, LLDP, 802.1X) — a cable must. A redirect at
/// tc ingress takes every frame before the host's IP input, unchanged, and leaves no extra device.
/// The classifier is <c>u32 match u32 0 0</c> (matches every frame): <c>matchall</c>, <c>basic</c>
/// and <c>flower</c> are not in every kernel (they are not in the one this was built on).
/// </para>
/// </summary>
public static class VxlanCommands
{
    /// <summary>IANA's VXLAN UDP port (RFC 7348 §5), used by every kernel link.</summary>
    public const int Port = 4789;

    /// <summary>Bytes VXLAN adds to a frame on the substrate: outer IPv4 20 + UDP 8 + VXLAN 8 (+ the frame's own 14, which the VM MTU does not count).</summary>
    public const int Overhead = 50;

    /// <summary>Prefix of the alias every VNet VXLAN device carries, so a restarted vnetd finds what a crashed one left.</summary>
    public const string AliasPrefix = "vnet kernel link ";

    /// <summary>How long tbf may queue a frame before it drops it.</summary>
    public const int ShaperLatencyMs = 50;

    private const int MaxInterfaceName = 15; // IFNAMSIZ − 1

    /// <summary>
    /// The device name of link <paramref name="linkId"/>: <c>vk</c>, up to 9 of the id's letters and
    /// digits, and 4 hex digits of a hash of the whole id (so ids that differ only in the cut-off part
    /// or in '-', '_', '.' get different names); at most 15 characters, as the kernel requires.
    /// </summary>
    public static string DeviceName(string linkId)
    {
        var kept = new string(linkId.Where(char.IsAsciiLetterOrDigit).Take(9).ToArray()).ToLowerInvariant();
        var name = $"vk{kept}{Fnv1a(linkId) & 0xffff:x4}";
        return name.Length <= MaxInterfaceName ? name : throw new InvalidOperationException($"device name {name} is too long");
    }

    /// <summary>The alias of the device: names the link and the VM port, so leftovers can be undone.</summary>
    public static string Alias(VxlanEnd end) => $"{AliasPrefix}{end.LinkId} port {end.VmPort}";

    /// <summary>The VM port recorded in an alias written by <see cref="Alias"/>; null when the alias is not VNet's.</summary>
    public static string? VmPortOf(string? alias)
    {
        if (alias is null || !alias.StartsWith(AliasPrefix, StringComparison.Ordinal)) return null;
        var at = alias.LastIndexOf(" port ", StringComparison.Ordinal);
        return at < 0 ? null : alias[(at + " port ".Length)..];
    }

    /// <summary>The TOS byte of a DSCP value.</summary>
    public static int Tos(int dscp) => dscp << 2;

    /// <summary>
    /// Creates the end: the VXLAN device (down, no IPv6 link-local address so the host sends nothing
    /// into the link, the VM MTU, the alias), the two redirects, then the device up and its shaper.
    /// </summary>
    public static IReadOnlyList<KernelCommand> Create(VxlanEnd end, LinkOptions options)
    {
        var dev = end.Device;
        List<KernelCommand> commands =
        [
            Ip("link", "add", "name", dev, "mtu", Num(end.VmMtu), "type", "vxlan", "id", Num(end.Vni),
                "remote", end.Remote, "local", end.Local, "dstport", Num(Port), "nolearning", "tos", Hex(Tos(options.Dscp))),
            Ip("link", "set", "dev", dev, "addrgenmode", "none", "alias", Alias(end)),
            .. Redirect(dev, end.VmPort),
            .. Redirect(end.VmPort, dev),
            Ip("link", "set", "dev", dev, "up"),
        ];
        if (Shaper(dev, options, end.VmMtu) is { } shaper) commands.Add(shaper);
        return commands;
    }

    /// <summary>
    /// Joins a VM port created anew (same name, new interface) to the running device: both redirects
    /// again — the device's too, because a mirred action stays bound to the interface it was made
    /// for and sends nowhere once that interface is deleted.
    /// </summary>
    public static IReadOnlyList<KernelCommand> Rejoin(VxlanEnd end) =>
    [
        Tc("qdisc", "del", "dev", end.Device, "handle", "ffff:", "ingress"),
        .. Redirect(end.Device, end.VmPort),
        .. Redirect(end.VmPort, end.Device),
    ];

    /// <summary>
    /// Changes a running end from <paramref name="before"/> to <paramref name="after"/>: the device's
    /// TOS when the DSCP changed, the shaper when the rate or burst changed. Frames keep flowing.
    /// </summary>
    public static IReadOnlyList<KernelCommand> Change(VxlanEnd end, LinkOptions before, LinkOptions after)
    {
        var commands = new List<KernelCommand>();
        if (before.Dscp != after.Dscp) commands.Add(Ip("link", "set", "dev", end.Device, "type", "vxlan", "tos", Hex(Tos(after.Dscp))));
        if (before.BandwidthBitsPerSecond != after.BandwidthBitsPerSecond || before.BurstBytes != after.BurstBytes)
        {
            if (Shaper(end.Device, after, end.VmMtu) is { } shaper) commands.Add(shaper);
            else if (before.BandwidthBitsPerSecond > 0) commands.Add(Tc("qdisc", "del", "dev", end.Device, "root"));
        }
        return commands;
    }

    /// <summary>
    /// Removes the end: the VM port's ingress qdisc (with its redirect) and the device (with its
    /// qdiscs). Each may already be gone; <see cref="VxlanLink"/> runs them all and ignores "not found".
    /// </summary>
    public static IReadOnlyList<KernelCommand> Remove(string device, string vmPort) =>
    [
        Tc("qdisc", "del", "dev", vmPort, "handle", "ffff:", "ingress"),
        Ip("link", "del", "dev", device),
    ];

    /// <summary>
    /// The tbf of a shaped link (null when not shaped). It meters Ethernet frames as the userspace
    /// shaper does; the burst is the link's, or 4 ms at the rate and never less than two full frames
    /// (tbf cannot send a frame larger than its bucket).
    /// </summary>
    public static KernelCommand? Shaper(string device, LinkOptions options, int vmMtu)
    {
        if (options.BandwidthBitsPerSecond <= 0) return null;
        var burst = options.BurstBytes > 0 ? options.BurstBytes : (int)Math.Min(64 << 20, options.BandwidthBitsPerSecond / 8 / 250);
        burst = Math.Max(burst, 2 * (vmMtu + 14));
        return Tc("qdisc", "replace", "dev", device, "root", "tbf", "rate", $"{Num(options.BandwidthBitsPerSecond)}bit",
            "burst", Num(burst), "latency", $"{ShaperLatencyMs}ms");
    }

    /// <summary>Lists every VXLAN device with its alias (JSON), to find leftovers.</summary>
    public static KernelCommand ListDevices() => Ip("-j", "-d", "link", "show", "type", "vxlan");

    private static IReadOnlyList<KernelCommand> Redirect(string from, string to) =>
    [
        Tc("qdisc", "add", "dev", from, "handle", "ffff:", "ingress"),
        Tc("filter", "add", "dev", from, "parent", "ffff:", "protocol", "all", "prio", "1",
            "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", to),
    ];

    private static KernelCommand Ip(params string[] args) => new("ip", args);

    private static KernelCommand Tc(params string[] args) => new("tc", args);

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Hex(int n) => "0x" + n.ToString("x2", CultureInfo.InvariantCulture);

    private static uint Fnv1a(string s)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}
