using System.Globalization;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Contenders;

/// <summary>
/// OpenVPN in peer-to-peer TAP mode over UDP with no crypto (--cipher none --auth none
/// --data-ciphers none, no TLS), its tap bridged with the VM's veth — shared/anchors' "openvpn-none".
/// </summary>
public sealed class OpenVpnContender(int vmMtu) : Contender
{
    private const string Device = "tap0";
    private readonly Daemons _daemons = new();
    private List<TunnelProcess> _processes = [];

    /// <inheritdoc/>
    public override string Name => "openvpn";

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Rival;

    /// <inheritdoc/>
    public override string Description => $"OpenVPN p2p TAP over UDP 1194, --cipher none --auth none --data-ciphers none, --tun-mtu {vmMtu}, tap bridged with the VM veth";

    /// <inheritdoc/>
    public override double SetupSeconds => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<TunnelProcess> Processes => _processes;

    /// <inheritdoc/>
    public override async Task SetUpAsync(BenchLab lab, CancellationToken cancel)
    {
        var version = Shell.Run("openvpn", ["--version"], check: false);
        if (!version.Output.StartsWith("OpenVPN", StringComparison.Ordinal)) throw new ContenderUnavailableException("openvpn is not installed (bench/run installs the Debian package openvpn)");
        Notes.Add(string.Join(' ', version.Output.Split('\n')[0].Split(' ').Take(2)));
        var dir = Path.Combine(lab.WorkDirectory, "openvpn");
        Directory.CreateDirectory(dir);
        HostBridge.Create(lab);
        var ends = new[] { (Host: lab.Host1, Local: lab.Host1Address, Remote: lab.Host2Address), (Host: lab.Host2, Local: lab.Host2Address, Remote: lab.Host1Address) };
        foreach (var e in ends)
        {
            var d = _daemons.Start($"openvpn-{e.Host}", lab.Ns(e.Host),
            [
                "openvpn", "--dev", Device, "--dev-type", "tap", "--proto", "udp", "--local", e.Local, "--lport", "1194",
                "--remote", e.Remote, "--rport", "1194", "--tun-mtu", vmMtu.ToString(CultureInfo.InvariantCulture),
                "--cipher", "none", "--auth", "none", "--data-ciphers", "none", "--verb", "3", "--ping", "10",
            ], Path.Combine(dir, $"{e.Host}.log"));
            _processes.Add(new TunnelProcess(d.Name, d.Pid));
        }
        _processes = [.. _processes];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var pending = lab.HostNamespaces.ToList();
        while (pending.Count > 0)
        {
            _daemons.CheckAlive();
            foreach (var ns in pending.Where(ns => BenchLab.Exists(ns, Device)).ToList())
            {
                HostBridge.Attach(ns, Device);
                pending.Remove(ns);
            }
            if (pending.Count == 0) break;
            if (DateTime.UtcNow > deadline) throw new ContenderUnavailableException($"openvpn did not create {Device} in {string.Join(", ", pending)} within 15 s (logs in {dir})");
            await Task.Delay(100, cancel);
        }
    }

    /// <inheritdoc/>
    public override Task TearDownAsync(BenchLab lab)
    {
        _daemons.StopAll();
        HostBridge.Remove(lab);
        return Task.CompletedTask;
    }
}
