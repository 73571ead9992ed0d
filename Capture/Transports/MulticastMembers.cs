using System.Net;
using System.Runtime.InteropServices;

namespace VNet.Capture.Transports;

/// <summary>
/// The substrate addresses of a multipoint segment's other members: only their capsules are
/// accepted (nothing reaches a VM unless it belongs to a link of that host).
/// </summary>
public sealed class MulticastMembers(IEnumerable<IPAddress> peers)
{
    private readonly uint[] _peers = peers.Select(ToNetworkOrder).ToArray();

    /// <summary>True when <paramref name="sourceNetworkOrder"/> is one of the peers.</summary>
    public bool Contains(uint sourceNetworkOrder)
    {
        foreach (var p in _peers)
            if (p == sourceNetworkOrder) return true;
        return false;
    }

    /// <summary>An IPv4 address as the uint the kernel stores (network order).</summary>
    public static uint ToNetworkOrder(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return MemoryMarshal.Read<uint>(b);
    }
}
