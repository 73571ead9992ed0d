using System.Net;
using System.Net.NetworkInformation;

namespace VNet.Capture.Transports;

/// <summary>Finds the substrate interface: the one that holds the host's substrate address.</summary>
public static class SubstrateInterface
{
    /// <summary>
    /// The name of the interface holding <paramref name="local"/>; throws when none does (then the
    /// substrate address is not this host's, and binding to it would fail anyway).
    /// </summary>
    public static string Of(IPAddress local) =>
        NameOf(local) ?? throw new InvalidOperationException($"no interface on this host holds the substrate address {local}");

    /// <summary>The name of the interface holding <paramref name="local"/>, or null.</summary>
    public static string? NameOf(IPAddress local)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            if (nic.GetIPProperties().UnicastAddresses.Any(a => a.Address.Equals(local))) return nic.Name;
        return null;
    }

    /// <summary>The interface index of the interface holding <paramref name="local"/>, or 0.</summary>
    public static int IndexOf(IPAddress local)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var props = nic.GetIPProperties();
            if (props.UnicastAddresses.Any(a => a.Address.Equals(local))) return props.GetIPv4Properties()?.Index ?? 0;
        }
        return 0;
    }
}
