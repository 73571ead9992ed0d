using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Measuring;

/// <summary>
/// Drop counters all along the path, read before and after each test (loss hides as TCP retransmits
/// unless it is counted): UDP InErrors/RcvbufErrors from /proc/net/snmp and
/// interface drops in every lab namespace, raw-socket drops from /proc/net/raw in the host
/// namespaces, and the kernel's backlog drops from /proc/net/softnet_stat (machine-wide).
/// </summary>
public static class DropProbe
{
    /// <summary>Reads every counter; keys such as "vm2 udp RcvbufErrors", "h1 raw drops", "h1 vm1 rx_dropped".</summary>
    public static Dictionary<string, long> Read(BenchLab lab)
    {
        var counters = new Dictionary<string, long>();
        foreach (var ns in lab.Namespaces)
        {
            var node = ns[lab.Prefix.Length..];
            var r = Shell.InNetns(ns, ["sh", "-c", "cat /proc/net/snmp; echo @@; cat /proc/net/raw; echo @@; ip -j -s link"], check: false);
            var parts = r.Output.Split("@@\n");
            if (parts.Length < 3) continue;
            foreach (var (k, v) in Snmp(parts[0], "Udp", "InErrors", "RcvbufErrors", "SndbufErrors")) counters[$"{node} udp {k}"] = v;
            counters[$"{node} raw drops"] = RawDrops(parts[1]);
            foreach (var (k, v) in InterfaceDrops(parts[2])) counters[$"{node} {k}"] = v;
        }
        counters["softnet dropped (machine-wide)"] = SoftnetDropped(File.ReadAllText("/proc/net/softnet_stat"));
        return counters;
    }

    /// <summary>Named counters of one protocol line pair of /proc/net/snmp.</summary>
    public static IEnumerable<(string, long)> Snmp(string snmp, string protocol, params string[] names)
    {
        var lines = snmp.Split('\n').Where(l => l.StartsWith(protocol + ":", StringComparison.Ordinal)).ToList();
        if (lines.Count < 2) yield break;
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
        {
            var i = Array.IndexOf(header, name);
            if (i > 0 && i < values.Length && long.TryParse(values[i], CultureInfo.InvariantCulture, out var v)) yield return (name, v);
        }
    }

    /// <summary>Sum of the "drops" column of /proc/net/raw (the last field of each socket line).</summary>
    public static long RawDrops(string raw) =>
        raw.Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 12 && long.TryParse(f[^1], CultureInfo.InvariantCulture, out _))
            .Sum(f => long.Parse(f[^1], CultureInfo.InvariantCulture));

    /// <summary>rx/tx dropped of each interface from <c>ip -j -s link</c>.</summary>
    public static IEnumerable<(string, long)> InterfaceDrops(string json)
    {
        JsonArray? links;
        try
        {
            links = JsonNode.Parse(json)?.AsArray();
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }
        foreach (var l in links ?? [])
        {
            var name = l?["ifname"]?.GetValue<string>();
            var stats = l?["stats64"];
            if (name is null || stats is null || name == "lo") continue;
            yield return ($"{name} rx_dropped", stats["rx"]?["dropped"]?.GetValue<long>() ?? 0);
            yield return ($"{name} tx_dropped", stats["tx"]?["dropped"]?.GetValue<long>() ?? 0);
        }
    }

    /// <summary>Sum over CPUs of the second column (dropped, hex) of /proc/net/softnet_stat.</summary>
    public static long SoftnetDropped(string softnet) =>
        softnet.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 1).Sum(f => long.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    /// <summary>after − before for every counter that moved (never negative: a socket that closed loses its counter).</summary>
    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Select(kv => (kv.Key, Value: kv.Value - before.GetValueOrDefault(kv.Key))).Where(x => x.Value > 0).ToDictionary(x => x.Key, x => x.Value);
}
