using System.Globalization;
using VNet.Bench.Lab;
using VNet.Host.Labs;

namespace VNet.Bench.Contenders;

/// <summary>
/// tinc 1.0 in switch mode, one tincd per host, its tap bridged with the VM's veth, Compression 0.
/// Without <paramref name="crypto"/> (<c>tinc</c>): Cipher/Digest none, no crypto on the data path.
/// With it (<c>tinc-crypto</c>): tinc 1.0's defaults, Cipher blowfish (CBC) and Digest sha1 (a
/// 4-byte HMAC truncation), i.e. simply no Cipher/Digest lines — what a tinc user gets.
/// </summary>
public sealed class TincContender(int vmMtu, bool crypto = false) : Contender
{
    private const string Device = "tinc0";
    private readonly Daemons _daemons = new();
    private List<TunnelProcess> _processes = [];

    /// <summary>True for the contender with tinc's default crypto.</summary>
    public bool Crypto => crypto;

    /// <inheritdoc/>
    public override string Name => crypto ? "tinc-crypto" : "tinc";

    /// <inheritdoc/>
    public override ContenderFamily Family => ContenderFamily.Rival;

    /// <inheritdoc/>
    public override string Description => crypto
        ? "tinc 1.0 switch mode, default crypto (Cipher blowfish, Digest sha1), Compression 0, UDP 655, tap bridged with the VM veth"
        : "tinc 1.0 switch mode, Cipher/Digest none, Compression 0, UDP 655, tap bridged with the VM veth";

    /// <inheritdoc/>
    public override double SetupSeconds => 3;

    /// <inheritdoc/>
    public override IReadOnlyList<TunnelProcess> Processes => _processes;

    /// <inheritdoc/>
    public override async Task SetUpAsync(BenchLab lab, CancellationToken cancel)
    {
        var version = Shell.Run("tincd", ["--version"], check: false);
        if (version.Exit != 0) throw new ContenderUnavailableException("tincd is not installed (bench/run installs the Debian package tinc)");
        Notes.Add(version.Output.Split('\n')[0].Trim());
        var root = Path.Combine(lab.WorkDirectory, Name);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var nodes = new[] { (Name: lab.Host1, Address: lab.Host1Address, Peer: lab.Host2), (Name: lab.Host2, Address: lab.Host2Address, Peer: lab.Host1) };
        foreach (var n in nodes) WriteNode(Path.Combine(root, n.Name), n.Name, n.Address, n.Peer);
        // Each side needs the other's host file with its public key (tinc 1.0 authenticates the meta connection with RSA).
        foreach (var n in nodes)
            File.Copy(Path.Combine(root, n.Name, "hosts", n.Name), Path.Combine(root, n.Peer, "hosts", n.Name), overwrite: true);
        HostBridge.Create(lab);
        foreach (var n in nodes)
        {
            var dir = Path.Combine(root, n.Name);
            var log = Path.Combine(dir, "tincd.log");
            var d = _daemons.Start($"tincd-{n.Name}", lab.Ns(n.Name), ["tincd", "-c", dir, "-D", "-d1", $"--pidfile={dir}/pid", $"--logfile={log}"], log);
            _processes.Add(new TunnelProcess(d.Name, d.Pid));
        }
        _processes = [.. _processes];
        await WaitForPortsAsync(lab, cancel);
    }

    private void WriteNode(string dir, string name, string address, string peer)
    {
        Directory.CreateDirectory(Path.Combine(dir, "hosts"));
        File.WriteAllText(Path.Combine(dir, "tinc.conf"),
            $"Name = {name}\nMode = switch\nDeviceType = tap\nInterface = {Device}\nAddressFamily = ipv4\nBindToAddress = {address}\nConnectTo = {peer}\nPingTimeout = 30\n");
        // Cipher and Digest are host-file settings in tinc 1.0: what a node wants for the packets sent to it.
        var cryptoLines = crypto ? "" : "Cipher = none\nDigest = none\n";
        File.WriteAllText(Path.Combine(dir, "hosts", name), $"Address = {address}\nPort = 655\n{cryptoLines}Compression = 0\n");
        var up = Path.Combine(dir, "tinc-up");
        File.WriteAllText(up,
            "#!/bin/sh\n" +
            $"ip link set \"$INTERFACE\" mtu {vmMtu.ToString(CultureInfo.InvariantCulture)}\n" +
            "sysctl -qw \"net.ipv6.conf.$INTERFACE.disable_ipv6=1\"\n" +
            $"ip link set \"$INTERFACE\" master {HostBridge.Name}\n" +
            "ip link set \"$INTERFACE\" up\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(up, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Key generation reads no terminal: stdin is closed, so tincd takes the default file names.
        var keys = Shell.Run("tincd", ["-c", dir, "-K2048"], check: false, timeout: TimeSpan.FromSeconds(60));
        if (keys.Exit != 0) throw new ContenderUnavailableException($"tincd -K failed: {(keys.Error + keys.Output).Trim()}");
    }

    private async Task WaitForPortsAsync(BenchLab lab, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            _daemons.CheckAlive();
            if (lab.HostNamespaces.All(ns => BenchLab.Master(ns, Device) == HostBridge.Name)) return;
            await Task.Delay(100, cancel);
        }
        throw new ContenderUnavailableException($"tincd did not bring up {Device} in both hosts within 15 s (logs in {lab.WorkDirectory}/{Name})");
    }

    /// <inheritdoc/>
    public override Task TearDownAsync(BenchLab lab)
    {
        _daemons.StopAll();
        HostBridge.Remove(lab);
        return Task.CompletedTask;
    }
}
