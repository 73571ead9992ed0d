using System.Globalization;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Contenders;

/// <summary>
/// OpenVPN in peer-to-peer TAP mode over UDP, its tap bridged with the VM's veth. Without
/// <paramref name="gcm"/> (<c>openvpn</c>): no crypto (--cipher none --auth none --data-ciphers none,
/// no TLS). With it (<c>openvpn-gcm</c>): AES-256-GCM on the data
/// channel, which static-key mode cannot do: TLS mode (h2 --tls-server, h1 --tls-client) with a
/// throwaway CA and two certificates made by <see cref="ThrowawayPki"/> in the lab's work directory.
/// </summary>
public sealed class OpenVpnContender(int vmMtu, bool gcm = false) : Contender
{
    private const string Device = "tap0";
    private readonly Daemons _daemons = new();
    private List<TunnelProcess> _processes = [];
    private string? _pki;

    /// <summary>True for the contender with AES-256-GCM.</summary>
    public bool Gcm => gcm;

    /// <inheritdoc/>
    public override string Name => gcm ? "openvpn-gcm" : "openvpn";

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Rival;

    /// <inheritdoc/>
    public override string Description => gcm
        ? $"OpenVPN p2p TAP over UDP 1194, TLS mode (throwaway EC certificates), --data-ciphers AES-256-GCM, --tun-mtu {vmMtu}, tap bridged with the VM veth"
        : $"OpenVPN p2p TAP over UDP 1194, --cipher none --auth none --data-ciphers none, --tun-mtu {vmMtu}, tap bridged with the VM veth";

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
        var dir = Path.Combine(lab.WorkDirectory, Name);
        Directory.CreateDirectory(dir);
        if (gcm) _pki = ThrowawayPki.Create(Path.Combine(dir, "pki"), [lab.Host1, lab.Host2]);
        HostBridge.Create(lab);
        var ends = new[] { (Host: lab.Host1, Local: lab.Host1Address, Remote: lab.Host2Address), (Host: lab.Host2, Local: lab.Host2Address, Remote: lab.Host1Address) };
        foreach (var e in ends)
        {
            List<string> command =
            [
                "openvpn", "--dev", Device, "--dev-type", "tap", "--proto", "udp", "--local", e.Local, "--lport", "1194",
                "--remote", e.Remote, "--rport", "1194", "--tun-mtu", vmMtu.ToString(CultureInfo.InvariantCulture),
                "--verb", "3", "--ping", "10",
            ];
            command.AddRange(gcm ? Tls(e.Host, server: e.Host == lab.Host2) : ["--cipher", "none", "--auth", "none", "--data-ciphers", "none"]);
            var d = _daemons.Start($"{Name}-{e.Host}", lab.Ns(e.Host), command, Path.Combine(dir, $"{e.Host}.log"));
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

    /// <summary>
    /// TLS mode with AES-256-GCM as the only data cipher: h2 is the TLS server, h1 the client; ECDHE
    /// (--dh none), each end checks that the other's certificate chains to the throwaway CA.
    /// </summary>
    private List<string> Tls(string host, bool server)
    {
        var pki = _pki ?? throw new InvalidOperationException("no PKI");
        return
        [
            server ? "--tls-server" : "--tls-client", "--ca", Path.Combine(pki, "ca.crt"),
            "--cert", Path.Combine(pki, host + ".crt"), "--key", Path.Combine(pki, host + ".key"),
            .. server ? new[] { "--dh", "none" } : [],
            "--data-ciphers", "AES-256-GCM", "--cipher", "AES-256-GCM", "--disable-dco",
        ];
    }

    /// <inheritdoc/>
    public override Task TearDownAsync(BenchLab lab)
    {
        _daemons.StopAll();
        HostBridge.Remove(lab);
        if (_pki is not null && Directory.Exists(_pki)) Directory.Delete(_pki, recursive: true); // the keys go with the run
        _pki = null;
        return Task.CompletedTask;
    }
}
