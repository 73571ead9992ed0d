using System.Globalization;
using VNet.Bench.Lab;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

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
    public override string Description => variant.Kind.IsKernel()
        ? $"VNet `link create --kind {variant.Kind.Name()}`: a kernel VXLAN device per host (VNI negotiated, UDP 4789, `nolearning`, MTU = substrate − 50) joined to the VM veth by tc mirred redirects both ways (no bridge); unauthenticated; vnetd only sets it up"
        : $"VNet `link create --kind {variant.Kind.Name()} --compression {CompressionName(variant.Compression)}{ProtectionSwitch}`, " +
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
        var options = LinkOptions.Default with
        {
            Compression = variant.Compression,
            Authenticate = variant.Protection != VnetProtection.None,
            Encrypt = variant.Protection == VnetProtection.Encrypted,
        };
        var logs = lab.VnetdProcesses.Select(p => (p.Log, Offset: File.Exists(p.Log) ? new FileInfo(p.Log).Length : 0)).ToList();
        ICreateLinkReply reply;
        try
        {
            reply = await VnetConsole.AskAsync(lab.ConsoleSocket, new CreateLink(_id, variant.Kind, [lab.Vm1.Name, lab.Vm2.Name], options), cancel);
        }
        catch (CommandException e)
        {
            throw new ContenderUnavailableException(e.Message + Cause(logs));
        }
        if (reply is not LinkCreated created) throw new ContenderUnavailableException(string.Join("; ", ((LinkRejected)reply).Problems) + Cause(logs));
        _created = true;
        _protocol = created.Link.Link.Protocol;
        var number = variant.Kind.IsKernel() ? $"VNI {created.Link.Link.Vni}" : $"protocol number {_protocol}";
        int vmMtu;
        try
        {
            vmMtu = created.Link.VmMtu ?? await LabRunner.EndsMtu(lab.State, created.Link, cancel);
        }
        catch (ShellException e)
        {
            throw new ContenderUnavailableException($"link created but not established: {e.Message}");
        }
        if (await VnetConsole.AskAsync(lab.ConsoleSocket, new GetLinks(_id), cancel) is LinkList { Links: [{ Phase: LinkPhase.BackingOff or LinkPhase.Failed } failed] })
            throw new ContenderUnavailableException($"link created but failed: {failed.Detail}");
        Notes.Add($"{number}, VNet's VM MTU for this kind {vmMtu}");
        var current = BenchLab.Mtu(lab.Vm1.Netns, "eth0");
        if (vmMtu < current)
        {
            Notes.Add($"the link carries frames only up to VM MTU {vmMtu} (below the common {current}): the VMs were set to {vmMtu} for this contender");
            lab.ApplyVmSettings(vmMtu);
        }
    }

    /// <inheritdoc/>
    public override async Task<Dictionary<string, long>> ReadCountersAsync(BenchLab lab, CancellationToken cancel)
    {
        var counters = new Dictionary<string, long>();
        if (await VnetConsole.AskAsync(lab.ConsoleSocket, new GetLinkStats(_id), cancel) is not LinkStats stats) return counters;
        foreach (var d in stats.Directions)
        {
            var prefix = $"link {d.Host} {d.Direction}";
            counters[$"{prefix} frames"] = d.Counters.Frames;
            counters[$"{prefix} compressed"] = d.Counters.CompressedFrames;
            counters[$"{prefix} fragmented"] = d.Counters.FragmentedFrames;
            counters[$"{prefix} bytes"] = d.Counters.Bytes;
            counters[$"{prefix} wire-bytes"] = d.Counters.WireBytes;
            foreach (var (reason, value) in d.Counters.Drops) counters[$"{prefix} drop {reason}"] = value;
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
        if (await VnetConsole.AskAsync(lab.ConsoleSocket, new DeleteLink(_id), limit.Token) is LinkRejected rejected)
            throw new ShellException($"link delete --id {_id}: {string.Join("; ", rejected.Problems)}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        foreach (var host in lab.State.Hosts)
        {
            while (true)
            {
                var table = (HostLinks)await VnetConsole.AskAsync(host.Socket, GetHostLinks.Instance, limit.Token);
                if (table.Links.All(l => l.Link.Id != _id)) break;
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
