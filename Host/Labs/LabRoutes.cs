using System.Net;

namespace VNet.Host.Labs;

/// <summary>A static route a lab router needs: to a subnet it is not on, through a neighbour router.</summary>
public sealed record LabRoute(string Router, string Destination, IPAddress Via, string Device);

/// <summary>
/// The routes lab routers need so that every subnet reaches every other one (a chain of routers):
/// for each router, a breadth-first walk over subnets and routers gives the nearest
/// neighbour router toward each subnet it is not attached to. Pure: no namespaces are touched.
/// </summary>
public static class LabRoutes
{
    /// <summary>Every route of every router of <paramref name="lab"/>, shortest paths, ties to the first router in file order.</summary>
    public static IReadOnlyList<LabRoute> Compute(LabDefinition lab)
    {
        var routes = new List<LabRoute>();
        var subnetCidr = lab.Subnets.ToDictionary(s => s.Key, s => Network(s.First()));
        foreach (var router in lab.Routers)
        {
            // First hop (neighbour address, our device) toward each subnet; attached subnets need none.
            var firstHop = new Dictionary<string, (IPAddress Via, string Device)?>(StringComparer.Ordinal);
            var queue = new Queue<string>();
            foreach (var i in router.Interfaces)
            {
                if (firstHop.TryAdd(i.Subnet, null)) queue.Enqueue(i.Subnet);
            }
            while (queue.Count > 0)
            {
                var subnet = queue.Dequeue();
                foreach (var other in lab.Routers.Where(r => r.Name != router.Name))
                {
                    var onSubnet = other.Interfaces.FirstOrDefault(i => i.Subnet == subnet);
                    if (onSubnet is null) continue;
                    var hop = firstHop[subnet] ?? (onSubnet.Address, router.Interfaces.First(i => i.Subnet == subnet).Name);
                    foreach (var next in other.Interfaces.Where(i => !firstHop.ContainsKey(i.Subnet)))
                    {
                        firstHop[next.Subnet] = hop;
                        queue.Enqueue(next.Subnet);
                    }
                }
            }
            foreach (var (subnet, hop) in firstHop)
                if (hop is { } h) routes.Add(new LabRoute(router.Name, subnetCidr[subnet], h.Via, h.Device));
        }
        return routes;
    }

    /// <summary>"192.0.2.0/24" for an interface 192.0.2.10/24.</summary>
    public static string Network(LabInterface i)
    {
        var b = i.Address.GetAddressBytes();
        var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        var mask = i.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - i.PrefixLength);
        var net = value & mask;
        return $"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 255}.{net & 255}/{i.PrefixLength}";
    }
}
