using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using VNet.Capture.Ports;

namespace VNet.Actors.Discovery;

/// <summary>
/// The discovery socket as the DiscoveryActor sees it: queries to the group with a TTL, answers
/// unicast, and datagrams in. Tests substitute an in-memory channel.
/// </summary>
public interface IDiscoveryChannel : IDisposable
{
    /// <summary>The interfaces queries go out on (names), as of the last <see cref="SendQuery"/>.</summary>
    ImmutableArray<string> Interfaces { get; }

    /// <summary>Sends a query to the group on every substrate interface with IP TTL <paramref name="ttl"/>.</summary>
    void SendQuery(ReadOnlySpan<byte> datagram, int ttl);

    /// <summary>Sends an answer to the querier.</summary>
    void SendAnswer(ReadOnlySpan<byte> datagram, IPEndPoint to);

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/>; returns its length and sender. Length -1
    /// means the channel dropped a datagram whose authenticator did not verify (counted as such).
    /// </summary>
    ValueTask<(int Length, IPEndPoint From)> ReceiveAsync(Memory<byte> buffer, CancellationToken cancel);
}

/// <summary>
/// Plain UDP multicast: one socket bound to the group's port, member of the group
/// on each substrate interface (<c>MulticastOption(group, ifIndex)</c>), loopback off; a query is
/// sent once per interface with <c>MulticastInterface</c> and <c>MulticastTimeToLive</c> set.
/// Answers leave the same socket unicast, so they come back from the group port.
/// <para>
/// Only datagrams that arrived on a substrate interface are taken: the arrival interface of each
/// (IP_PKTINFO) must be one the group was joined on and no VM port a link holds, so a VM cannot
/// query the host or answer its searches through its own port.
/// </para>
/// </summary>
public sealed class MulticastDiscoveryChannel : IDiscoveryChannel
{
    private readonly Socket _socket;
    private readonly IPAddress _group;
    private readonly int _port;
    private readonly ImmutableArray<string> _wanted;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _joined = new();

    /// <summary>Opens the socket on <paramref name="group"/>:<paramref name="port"/>; <paramref name="interfaces"/> empty = all suitable ones.</summary>
    /// <exception cref="SocketException">The port cannot be bound.</exception>
    public MulticastDiscoveryChannel(IPAddress group, int port, ImmutableArray<string> interfaces)
    {
        _group = group;
        _port = port;
        _wanted = interfaces.IsDefault ? [] : interfaces;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(new IPEndPoint(IPAddress.Any, port));
        _socket.MulticastLoopback = false;
        _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
        JoinInterfaces();
    }

    /// <inheritdoc/>
    public ImmutableArray<string> Interfaces
    {
        get
        {
            lock (_gate) return [.. _joined.Values.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// The interfaces discovery uses: up, multicast-capable, with an IPv4 address, not loopback
    /// (and among <paramref name="wanted"/> when given). VM-side interfaces carry no address, so
    /// they are left out by construction.
    /// </summary>
    public static IEnumerable<(int Index, string Name)> SubstrateInterfaces(ImmutableArray<string> wanted)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.OperationalStatus == OperationalStatus.Down) continue;
            if (!nic.SupportsMulticast || !nic.Supports(NetworkInterfaceComponent.IPv4)) continue;
            if (!wanted.IsEmpty && !wanted.Contains(nic.Name)) continue;
            if (VmPortIsolation.IsHeld(nic.Name)) continue; // a VM port, even one someone gave an address

            var props = nic.GetIPProperties();
            if (!props.UnicastAddresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetwork)) continue;
            var index = props.GetIPv4Properties()?.Index;
            if (index is { } i) yield return (i, nic.Name);
        }
    }

    /// <summary>Joins the group on interfaces that appeared since the last call (a lab wires interfaces before and after vnetd starts).</summary>
    private void JoinInterfaces()
    {
        lock (_gate)
        {
            foreach (var (index, name) in SubstrateInterfaces(_wanted))
            {
                if (_joined.ContainsKey(index)) continue;
                try
                {
                    _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(_group, index));
                    _joined[index] = name;
                }
                catch (SocketException)
                {
                    // The interface went away between listing and joining: the next query tries again.
                }
            }
        }
    }

    /// <inheritdoc/>
    public void SendQuery(ReadOnlySpan<byte> datagram, int ttl)
    {
        JoinInterfaces();
        var target = new IPEndPoint(_group, _port);
        lock (_gate)
        {
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, ttl);
            foreach (var index in _joined.Keys)
            {
                try
                {
                    _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
                    _socket.SendTo(datagram, SocketFlags.None, target);
                }
                catch (SocketException)
                {
                    // One interface gone or without a route must not stop the query on the others.
                }
            }
        }
    }

    /// <inheritdoc/>
    public void SendAnswer(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        lock (_gate) _socket.SendTo(datagram, SocketFlags.None, to);
    }

    /// <inheritdoc/>
    public async ValueTask<(int Length, IPEndPoint From)> ReceiveAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        while (true)
        {
            var result = await _socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancel);
            if (ArrivedOnSubstrate(result.PacketInformation.Interface)) return (result.ReceivedBytes, (IPEndPoint)result.RemoteEndPoint);
        }
    }

    /// <summary>True when interface <paramref name="index"/> is a substrate interface the group was joined on, and not a VM port.</summary>
    private bool ArrivedOnSubstrate(int index)
    {
        string? name;
        lock (_gate) _joined.TryGetValue(index, out name);
        if (name is null)
        {
            // An interface that appeared since the last query: join it if it qualifies, then decide.
            JoinInterfaces();
            lock (_gate) _joined.TryGetValue(index, out name);
        }
        return name is not null && !VmPortIsolation.IsHeld(name);
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
