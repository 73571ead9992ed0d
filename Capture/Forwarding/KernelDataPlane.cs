using System.Net;
using VNet.Capture.Frames;
using VNet.Capture.Ports;
using VNet.Capture.Processes;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Capture.Forwarding;

/// <summary>Settings of the kernel data plane (from the <c>vnet.data-plane</c> HOCON section).</summary>
public sealed record DataPlaneSettings(int SocketBufferBytes, int PcapBufferBytes, TimeSpan ReceiveTimeout, bool DisableOffloads)
{
    /// <summary>4 MiB socket buffers, 16 MiB capture buffer, 100 ms receive timeout, offloads left as they are.</summary>
    public static DataPlaneSettings Default { get; } = new(4 << 20, 16 << 20, TimeSpan.FromMilliseconds(100), false);

    /// <summary>Polling after traffic before sleeping, in microseconds (0 = none): lower latency for more CPU.</summary>
    public int SpinMicros { get; init; }

    /// <summary>
    /// Threads shared by every link's forwarding (<see cref="ForwarderPool"/>); 0: a thread of its own
    /// for each direction of each link, as before the pool (for comparison).
    /// </summary>
    public int ForwarderThreads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Scheduling niceness of the shared forwarder threads (-20 to 19).</summary>
    public int ForwarderNice { get; init; }

    /// <summary>IP TTL of multipoint capsules (how many routers a segment may span).</summary>
    public int MulticastTtl { get; init; } = 16;

    /// <summary>udp-multipoint segments without an explicit port use this plus their protocol number.</summary>
    public int MulticastPortBase { get; init; } = 46000;

    /// <summary>The UDP port of a udp-multipoint segment.</summary>
    public int GroupPort(LinkSpec link) => link.GroupPort != 0 ? link.GroupPort : MulticastPortBase + link.Protocol;
}

/// <summary>The real data plane: kernel sockets on the substrate, a packet socket with offload headers on the VM interface.</summary>
public sealed class KernelDataPlaneFactory(DataPlaneSettings settings) : IDataPlaneFactory
{
    // One pool per node (the factory lives as long as the node); its threads start with the first link.
    private readonly Lazy<ForwarderPool?> _pool = new(() => settings.ForwarderThreads > 0 ? new ForwarderPool(settings.ForwarderThreads, settings.SpinMicros, nice: settings.ForwarderNice) : null);

    /// <inheritdoc/>
    public Interfaces.IInterfaceMonitor? Interfaces => VNet.Capture.Interfaces.NetlinkInterfaceMonitor.Instance;

    /// <inheritdoc/>
    public ILinkDataPlane Create(LinkSpec link, LinkEndpoint local)
    {
        if (string.IsNullOrEmpty(local.HostInterface))
            throw new InvalidOperationException($"link {link.Id}: the host-side interface of VM {local.Vm} ({local.Mac}) is not known on {local.Host}");
        var localIp = IPAddress.Parse(local.SubstrateAddress);
        var peers = link.Endpoints.Where(e => e != local && e.Host != local.Host).ToList();
        if (peers.Count == 0) throw new InvalidOperationException($"link {link.Id}: no endpoint on another host");
        var tos = link.Options.Dscp << 2;
        ITransport transport = link.Kind switch
        {
            LinkKind.RawP2P => new RawIpTransport(localIp, IPAddress.Parse(peers[0].SubstrateAddress), link.Protocol, tos, settings.SocketBufferBytes, settings.ReceiveTimeout),
            LinkKind.UdpP2P => new UdpTransport(localIp, local.Port, IPAddress.Parse(peers[0].SubstrateAddress), peers[0].Port, tos, settings.SocketBufferBytes, settings.ReceiveTimeout),
            LinkKind.RawMultipoint => new RawMulticastTransport(localIp, Group(link), link.Protocol, Members(peers), tos, settings.MulticastTtl, InterfaceMtu(localIp), settings.SocketBufferBytes, settings.ReceiveTimeout),
            LinkKind.UdpMultipoint => new UdpMulticastTransport(localIp, Group(link), settings.GroupPort(link), Members(peers), tos, settings.MulticastTtl, InterfaceMtu(localIp), settings.SocketBufferBytes, settings.ReceiveTimeout),
            _ => throw new NotSupportedException($"link kind {link.Kind} is not known"),
        };
        var warnings = new List<string>();
        if (settings.DisableOffloads) Offloads.TryDisable(local.HostInterface, warnings);
        return new KernelDataPlane(transport, Security(link, local), local.HostInterface, link.Options.FilterSource ? local.Mac : null, settings.PcapBufferBytes, warnings) { SpinMicros = settings.SpinMicros, Pool = _pool.Value };
    }

    /// <inheritdoc/>
    public Kernel.IKernelLink CreateKernel(LinkSpec link, LinkEndpoint local)
    {
        if (string.IsNullOrEmpty(local.HostInterface))
            throw new InvalidOperationException($"link {link.Id}: the host-side interface of VM {local.Vm} ({local.Mac}) is not known on {local.Host}");
        var peer = link.Endpoints.FirstOrDefault(e => e != local && e.Host != local.Host)
            ?? throw new InvalidOperationException($"link {link.Id}: no endpoint on another host");
        if (link.Vni is < LinkSpec.FirstVni or > LinkSpec.LastVni)
            throw new InvalidOperationException($"link {link.Id} has no VXLAN network identifier (it was not negotiated)");
        var vmMtu = InterfaceMtu(IPAddress.Parse(local.SubstrateAddress)) - Kernel.VxlanCommands.Overhead;
        var end = new Kernel.VxlanEnd(link.Id, link.Vni, local.SubstrateAddress, peer.SubstrateAddress, local.HostInterface, vmMtu);
        return new Kernel.VxlanLink(end, link.Options);
    }

    /// <summary>
    /// The authentication state of <paramref name="local"/>'s end: the negotiated key, and as sender
    /// id the endpoint's index in the link (the same list at every end, so ids are unique per key),
    /// and whether the link authenticates its capsules at all (its options, the same at every end).
    /// </summary>
    public static LinkSecurity Security(LinkSpec link, LinkEndpoint local)
    {
        if (link.Key.IsDefault || link.Key.Length != Frames.CapsuleAuthenticator.KeyLength)
            throw new InvalidOperationException($"link {link.Id} has no key (it was not negotiated)");
        var index = link.Endpoints.IndexOf(local);
        if (index < 0) throw new InvalidOperationException($"link {link.Id}: endpoint {local} is not one of its endpoints");
        return new LinkSecurity(link.Key.AsSpan(), (uint)index, link.Endpoints.Length, link.Options.Authenticate);
    }

    private static IPAddress Group(LinkSpec link) =>
        IPAddress.TryParse(link.Group, out var g) ? g : throw new InvalidOperationException($"segment {link.Id} has no valid multicast group ('{link.Group}')");

    private static MulticastMembers Members(IEnumerable<LinkEndpoint> peers) => new(peers.Select(p => IPAddress.Parse(p.SubstrateAddress)));

    /// <summary>The MTU of the interface that holds <paramref name="local"/> (multipoint sockets are not connected, so IP_MTU is unavailable).</summary>
    public static int InterfaceMtu(IPAddress local)
    {
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            var props = nic.GetIPProperties();
            if (props.UnicastAddresses.Any(a => a.Address.Equals(local))) return props.GetIPv4Properties()?.Mtu ?? 1500;
        }
        return 1500;
    }

    /// <summary>
    /// <paramref name="sourceFilter"/>: the VM NIC's MAC when the link captures only what that NIC sends
    /// (the <c>filter-src</c> option, for an interface shared with other traffic); null captures every
    /// source MAC (a VM that bridges, runs nested guests or VRRP).
    /// </summary>
    private sealed class KernelDataPlane(ITransport transport, LinkSecurity security, string vmInterface, MacAddress? sourceFilter, int pcapBuffer, List<string> warnings) : ILinkDataPlane
    {
        private readonly object _gate = new();
        private VmPortIsolation? _isolation;
        private bool _disposed;

        public ITransport Transport => transport;
        public LinkSecurity Security => security;
        public int MaxFrame => transport.PathMtu - transport.Overhead - Capsule.Overhead;
        public int VmMtu => MaxFrame - 14;
        public IReadOnlyList<string> Warnings => warnings;
        public int SpinMicros { get; init; }
        public ForwarderPool? Pool { get; init; }
        public IReadOnlyList<string> IsolatePort()
        {
            lock (_gate)
            {
                if (_disposed) return [];
                if (_isolation is null)
                {
                    _isolation = VmPortIsolation.Hold(vmInterface);
                    return _isolation.Warnings;
                }
                return _isolation.Refresh(); // a no-op unless the interface was created anew
            }
        }

        private static readonly Inventory.ExternalTool Ip = Inventory.ExternalTool.Ip("setting the MTU of a VM port that came back");

        public IReadOnlyList<string> Reattach(int? mtu)
        {
            if (mtu is not { } value) return [];
            try
            {
                Ip.Run(Inventory.ProcessCommandRunner.Default, "link", "set", "dev", vmInterface, "mtu", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return [];
            }
            catch (Inventory.ExternalToolException e)
            {
                return [$"cannot set the MTU of {vmInterface} back to {value}: {e.Message}"];
            }
        }

        public IFrameTap OpenCapture() => PacketSocketTap.OpenCapture(vmInterface, sourceFilter, pcapBuffer);
        public IFrameTap OpenInjector() => PacketSocketTap.OpenInjector(vmInterface);

        public void Dispose()
        {
            transport.Dispose();
            lock (_gate)
            {
                _disposed = true;
                _isolation?.Dispose();
                _isolation = null;
            }
        }
    }
}

/// <summary>
/// Checksum and segmentation offloads break pcap forwarding: captured frames carry partial
/// checksums or are GRO super-frames. The data plane's packet-socket tap carries
/// them instead (<see cref="PacketSocketTap"/>), so this is only for comparisons that need them off
/// (<c>vnet.data-plane.disable-offloads</c>, the benchmark's offloads-off setting).
/// </summary>
public static class Offloads
{
    /// <summary>The ethtool features turned off.</summary>
    public static readonly string[] Features = ["tx", "tso", "gso", "gro"];

    /// <summary>Runs <c>ethtool -K IF tx off tso off gso off gro off</c>; adds a warning when it cannot.</summary>
    public static bool TryDisable(string interfaceName, List<string> warnings, string? netns = null)
    {
        var args = new List<string>();
        if (netns is not null) args.AddRange(["netns", "exec", netns, "ethtool"]);
        args.AddRange(["-K", interfaceName]);
        foreach (var f in Features) args.AddRange([f, "off"]);
        try
        {
            var result = ProcessRunner.Run(netns is null ? "ethtool" : "ip", args, TimeSpan.FromSeconds(15));
            if (result.ExitCode == 0) return true;
            warnings.Add($"could not turn off offloads on {interfaceName}: {result.Error.Trim()}");
        }
        catch (ProcessStartException)
        {
            warnings.Add($"ethtool is not installed: offloads on {interfaceName} stay on and TCP through the link may fail (Debian package ethtool)");
        }
        catch (ProcessTimeoutException e)
        {
            warnings.Add($"could not turn off offloads on {interfaceName}: {e.Message}");
        }
        return false;
    }
}
