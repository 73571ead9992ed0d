using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using VNet.Host.Labs;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Daemon;

/// <summary>
/// A real vnetd in a namespace with a default route (its own machine, as far as it can tell):
/// it finds its address, tells systemd (a test datagram socket as $NOTIFY_SOCKET) it is ready and
/// then stopping, logs its lifecycle at INFO, and ends within a few seconds of SIGTERM. Without a
/// route it refuses to start and says what to set; --help and --version start nothing.
/// </summary>
public sealed class DaemonLifecycleTests(ITestOutputHelper output)
{
    private static string Id() => $"dl{Random.Shared.Next(0x10000):x4}";

    [Fact]
    public async Task Vnetd_notifies_ready_logs_its_lifecycle_and_stops_within_seconds_of_SIGTERM()
    {
        var id = Id();
        string ns = $"{id}-m", peer = $"{id}-p";
        var dir = Directory.CreateTempSubdirectory($"vnet-{id}-").FullName;
        var notifyPath = Path.Combine(dir, "notify.sock");
        var log = Path.Combine(dir, "vnetd.log");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(notifyPath));
        int? pid = null;
        try
        {
            Shell.Ip("netns", "add", ns);
            Shell.Ip("netns", "add", peer);
            Shell.Ip("link", "add", $"{id}m0", "netns", ns, "type", "veth", "peer", "name", $"{id}p0", "netns", peer);
            Shell.Ip("-n", ns, "link", "set", "lo", "up");
            Shell.Ip("-n", ns, "addr", "add", "10.202.77.1/24", "dev", $"{id}m0");
            Shell.Ip("-n", ns, "link", "set", $"{id}m0", "up");
            Shell.Ip("-n", peer, "link", "set", $"{id}p0", "up");
            Shell.Ip("-n", ns, "route", "add", "default", "via", "10.202.77.254");

            pid = Shell.StartDetached(ns, [.. LabRunner.DaemonCommand(), "vnetd", "--set", "vnet.trust.mode = off", "--set", $"vnet.state-dir = \"{dir}/state\"", "--set", "vnet.console.port = -1", "--set", "vnet.host.name = m1"],
                log, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath });
            var ready = await ReceiveAsync(systemd, TimeSpan.FromSeconds(30));
            Assert.Contains("READY=1", ready.Split('\n'));
            Assert.Contains($"MAINPID={pid}", ready.Split('\n'));
            await WaitForLog(log, "node up:", TimeSpan.FromSeconds(30));

            var clock = Stopwatch.StartNew();
            Shell.Run("kill", ["-TERM", pid.Value.ToString()]);
            Assert.Contains("STOPPING=1", (await ReceiveAsync(systemd, TimeSpan.FromSeconds(5))).Split('\n'));
            while (Shell.Alive(pid.Value) && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
            output.WriteLine($"SIGTERM to exit: {clock.Elapsed.TotalSeconds:0.00} s");
            Assert.False(Shell.Alive(pid.Value), "vnetd still runs 20 s after SIGTERM");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"vnetd took {clock.Elapsed.TotalSeconds:0.0} s to stop");

            var text = await File.ReadAllTextAsync(log);
            output.WriteLine(text);
            Assert.Contains("vnetd m1 started in", text);
            Assert.Contains("at 10.202.77.1 (interface " + $"{id}m0 of the default route)", text);
            Assert.Contains("[INFO]", text);
            Assert.Contains("node up: akka.tcp://vnet@10.202.77.1:4053", text);
            Assert.Contains("topology manager (cluster singleton) runs here", text);
            Assert.Contains("vnetd m1 stopping (SIGTERM)", text);
            Assert.Contains("vnetd m1: stopped in", text);
        }
        finally
        {
            if (pid is { } p && Shell.Alive(p)) Shell.Run("kill", ["-KILL", p.ToString()], check: false);
            Shell.Run("ip", ["netns", "del", ns], check: false);
            Shell.Run("ip", ["netns", "del", peer], check: false);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Without_a_default_route_vnetd_refuses_to_start_and_names_the_keys_to_set()
    {
        var ns = $"{Id()}-n";
        try
        {
            Shell.Ip("netns", "add", ns);
            Shell.Ip("-n", ns, "link", "set", "lo", "up");
            var r = Shell.InNetns(ns, [.. LabRunner.DaemonCommand(), "vnetd", "--set", "vnet.trust.mode = off"], check: false, TimeSpan.FromSeconds(30));
            Assert.Equal(2, r.Exit);
            Assert.Contains("no IPv4 default route", r.Error);
            Assert.Contains("vnet.host.address", r.Error);
            Assert.Contains("vnet.host.interface", r.Error);
        }
        finally
        {
            Shell.Run("ip", ["netns", "del", ns], check: false);
        }
    }

    [Theory]
    [InlineData("--help", "Usage:")]
    [InlineData("--version", "+")]
    public void Help_and_version_print_and_exit_0_without_starting_anything(string flag, string expected)
    {
        var clock = Stopwatch.StartNew();
        // No namespace, no configuration: anything that tried to start would fail or linger.
        var r = Shell.Run(LabRunner.DaemonCommand()[0], [.. LabRunner.DaemonCommand().Skip(1), "vnetd", flag, "--set", "vnet.state-dir = relative"], check: false, TimeSpan.FromSeconds(30));
        Assert.Equal(0, r.Exit);
        Assert.Contains(expected, r.Output);
        Assert.Equal("", r.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(timeout);
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static async Task WaitForLog(string log, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(log) && (await File.ReadAllTextAsync(log)).Contains(text)) return;
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"no '{text}' in {log} within {timeout.TotalSeconds:0} s:\n{Shell.Tail(log, 40)}");
    }
}
