using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Bench.Lab;
using VNet.Host.Labs;
using VNet.Messages;

namespace VNet.Bench.Contenders;

/// <summary>
/// One VNet variant (link kind, compression, protection), created between vm1 and vm2 through the
/// console (<c>link create</c>) on the lab's running vnetd nodes and deleted afterwards. VNet captures
/// on the VM's veth directly: no bridge.
/// </summary>
public sealed class VnetLinkContender(VnetVariant variant) : Contender
{
    private readonly string _id = "bench-" + variant.Name.Replace('+', '-');
    private List<TunnelProcess> _processes = [];
    private int _protocol;
    private bool _created;

    /// <summary>The variant measured.</summary>
    public VnetVariant Variant => variant;

    /// <inheritdoc/>
    public override string Name => variant.Name;

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Vnet;

    /// <inheritdoc/>
    public override string Description => $"VNet `link create --kind {variant.Kind.Name()} --compression {CompressionName(variant.Compression)}{ProtectionSwitch}`, " +
        (variant.Protection switch
        {
            VnetProtection.None => "no authentication (capsules carry no tag)",
            VnetProtection.Encrypted => "AES-256-GCM: every capsule authenticated and its frame encrypted",
            _ => "AES-256-GCM tag on every capsule (authenticated, frame readable: the default)",
        }) + ", vnetd in each host, a packet socket on the VM veth (no bridge)";

    private string ProtectionSwitch => variant.Protection switch
    {
        VnetProtection.None => " --auth off",
        VnetProtection.Encrypted => " --encrypt",
        _ => "",
    };

    /// <inheritdoc/>
    public override double SetupSeconds => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<TunnelProcess> Processes => _processes;

    /// <summary>The name the console takes for a compression setting (none, lz4).</summary>
    public static string CompressionName(Compression c) => c.ToString().ToLowerInvariant();

    /// <inheritdoc/>
    public override async Task SetUpAsync(BenchLab lab, CancellationToken cancel)
    {
        HostBridge.Remove(lab);
        _processes = [.. lab.VnetdProcesses.Select(p => new TunnelProcess(p.Name, p.Pid))];
        var args = new Dictionary<string, string>
        {
            ["id"] = _id,
            ["vms"] = $"{lab.Vm1.Name},{lab.Vm2.Name}",
            ["kind"] = variant.Kind.Name(),
            ["compression"] = CompressionName(variant.Compression),
        };
        if (variant.Protection == VnetProtection.None) args["auth"] = "off";
        if (variant.Protection == VnetProtection.Encrypted) args["encrypt"] = "on";
        var logs = lab.VnetdProcesses.Select(p => (p.Log, Offset: File.Exists(p.Log) ? new FileInfo(p.Log).Length : 0)).ToList();
        var (data, end) = await VnetConsole.RunAsync(lab.ConsoleSocket, "link", "create", args, cancel);
        if (end.Exit != 0) throw new ContenderUnavailableException((end.Error ?? $"link create exited with {end.Exit}") + Cause(logs));
        _created = true;
        _protocol = data?["protocol"]?.GetValue<int>() ?? 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var (show, showEnd) = await VnetConsole.RunAsync(lab.ConsoleSocket, "link", "show", new() { ["id"] = _id }, cancel);
            if (showEnd.Exit != 0) throw new ContenderUnavailableException($"link show: {showEnd.Error}");
            var link = show?.AsArray().FirstOrDefault();
            var status = link?["status"]?.GetValue<string>() ?? "?";
            var vmMtu = link?["vmMtu"]?.GetValue<int?>();
            if (status == "failed") throw new ContenderUnavailableException($"link created but failed: {link?["detail"]?.GetValue<string>()}");
            if (status == "established" && vmMtu is > 0)
            {
                Notes.Add($"protocol number {_protocol}, VNet's VM MTU for this kind {vmMtu}");
                var current = BenchLab.Mtu(lab.Vm1.Netns, "eth0");
                if (vmMtu < current)
                {
                    Notes.Add($"the link carries frames only up to VM MTU {vmMtu} (below the common {current}): the VMs were set to {vmMtu} for this contender");
                    lab.ApplyVmSettings(vmMtu.Value);
                }
                return;
            }
            if (DateTime.UtcNow > deadline) throw new ContenderUnavailableException($"link created but not established after 15 s (status {status}, VM MTU {vmMtu?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
            await Task.Delay(200, cancel);
        }
    }

    /// <inheritdoc/>
    public override async Task<Dictionary<string, long>> ReadCountersAsync(BenchLab lab, CancellationToken cancel)
    {
        var counters = new Dictionary<string, long>();
        var (data, end) = await VnetConsole.RunAsync(lab.ConsoleSocket, "link", "stats", new() { ["id"] = _id }, cancel);
        if (end.Exit != 0) return counters;
        foreach (var row in data?.AsArray() ?? [])
        {
            if (row is null) continue;
            var prefix = $"link {row["host"]?.GetValue<string>()} {row["direction"]?.GetValue<string>()}";
            counters[$"{prefix} frames"] = row["frames"]?.GetValue<long>() ?? 0;
            counters[$"{prefix} compressed"] = row["compressed"]?.GetValue<long>() ?? 0;
            counters[$"{prefix} fragmented"] = row["fragmented"]?.GetValue<long>() ?? 0;
            counters[$"{prefix} bytes"] = row["bytes"]?.GetValue<long>() ?? 0;
            counters[$"{prefix} wire-bytes"] = row["wireBytes"]?.GetValue<long>() ?? 0;
            if (row["drops"] is JsonObject drops)
                foreach (var (reason, value) in drops)
                    counters[$"{prefix} drop {reason}"] = value?.GetValue<long>() ?? 0;
        }
        return counters;
    }

    /// <inheritdoc/>
    public override Task AfterCompressibleBurstAsync(BenchLab lab, Dictionary<string, long> before, Dictionary<string, long> after, CancellationToken cancel)
    {
        long Delta(string suffix) => after.Where(kv => kv.Key.EndsWith("vm->net " + suffix, StringComparison.Ordinal)).Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key));
        var frames = Delta("frames");
        var compressed = Delta("compressed");
        Notes.Add($"compressible ping burst (1300-byte zero payload): {compressed} of {frames} frames went compressed");
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override async Task TearDownAsync(BenchLab lab)
    {
        if (!_created) return;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (_, end) = await VnetConsole.RunAsync(lab.ConsoleSocket, "link", "delete", new() { ["id"] = _id }, limit.Token);
        if (end.Exit != 0) throw new ShellException($"link delete --id {_id}: {end.Error}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        foreach (var host in lab.State.Hosts)
        {
            while (true)
            {
                var (rows, _) = await VnetConsole.RunAsync(host.Socket, "host", "links", null, limit.Token);
                if (!(rows?.AsArray() ?? []).Any(r => r?["id"]?.GetValue<string>() == _id)) break;
                if (DateTime.UtcNow > deadline) throw new ShellException($"link {_id} is still in {host.Name}'s link table 10 s after link delete");
                await Task.Delay(200, limit.Token);
            }
        }
        // The data plane closes its sockets when the link's workers stop: wait for the raw socket to go,
        // so the next contender's frames are not also picked up by a lingering capture.
        if (variant.Kind.UsesProtocolNumber() && _protocol > 0)
        {
            while (lab.HostNamespaces.Any(ns => RawSocketOpen(ns, _protocol)))
            {
                if (DateTime.UtcNow > deadline + TimeSpan.FromSeconds(5)) throw new ShellException($"a raw socket for protocol {_protocol} is still open after link delete");
                await Task.Delay(200, limit.Token);
            }
        }
        _created = false;
    }

    /// <summary>
    /// The first exception message the vnetd logs got since the create: the console's answer only says
    /// "see the vnetd log" when a data plane cannot start, the log has the reason.
    /// </summary>
    private static string Cause(List<(string Log, long Offset)> logs)
    {
        foreach (var (log, offset) in logs)
        {
            try
            {
                using var f = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                f.Seek(offset, SeekOrigin.Begin);
                var added = new StreamReader(f).ReadToEnd();
                var line = added.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Exception: ", StringComparison.Ordinal) || l.Contains("not available", StringComparison.Ordinal));
                if (line is null) continue;
                var at = line.IndexOf("Exception: ", StringComparison.Ordinal);
                var text = at >= 0 ? line[(at + "Exception: ".Length)..] : line;
                // Akka's log prefix: [LEVEL][time][thread][actor path] message.
                if (text.StartsWith('[') && text.LastIndexOf("] ", StringComparison.Ordinal) is var end and > 0) text = text[(end + 2)..];
                return $" — {Path.GetFileNameWithoutExtension(log)} log: {(text.Length > 200 ? text[..200] + "…" : text)}";
            }
            catch (IOException)
            {
            }
        }
        return "";
    }

    private static bool RawSocketOpen(string netns, int protocol)
    {
        var raw = Shell.InNetns(netns, ["cat", "/proc/net/raw"], check: false).Output;
        var suffix = ":" + protocol.ToString("X4", CultureInfo.InvariantCulture);
        return raw.Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Any(f => f.Length > 1 && f[1].EndsWith(suffix, StringComparison.Ordinal));
    }
}
