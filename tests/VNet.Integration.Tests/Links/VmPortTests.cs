using System.Buffers.Binary;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using VNet.Integration.Tests.Support;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// Two hosts on one substrate subnet with four VMs each, so that one host carries several links:
/// k1 raw-p2p vm1–vm2, k2 raw-p2p vm3–vm4, k3 udp-p2p vm5–vm6; vm7 and vm8 are left for a link
/// the test creates and deletes itself.
/// </summary>
public sealed class VmPortLab : IAsyncLifetime
{
    private const string Xml = """
        <?xml version="1.0" encoding="utf-8"?>
        <lab name="vm-port">
          <router name="r">
            <interface name="lan" subnet="lan" address="192.0.2.1/24"/>
          </router>
          <host name="h1">
            <interface name="eth0" subnet="lan" address="192.0.2.11/24" gateway="192.0.2.1"/>
            <vm name="vm1" mac="02:00:00:00:01:01" address="10.250.0.1/24"/>
            <vm name="vm3" mac="02:00:00:00:03:01" address="10.250.0.3/24"/>
            <vm name="vm5" mac="02:00:00:00:05:01" address="10.250.0.5/24"/>
            <vm name="vm7" mac="02:00:00:00:07:01" address="10.250.0.7/24"/>
          </host>
          <host name="h2">
            <interface name="eth0" subnet="lan" address="192.0.2.12/24" gateway="192.0.2.1"/>
            <vm name="vm2" mac="02:00:00:00:02:01" address="10.250.0.2/24"/>
            <vm name="vm4" mac="02:00:00:00:04:01" address="10.250.0.4/24"/>
            <vm name="vm6" mac="02:00:00:00:06:01" address="10.250.0.6/24"/>
            <vm name="vm8" mac="02:00:00:00:08:01" address="10.250.0.8/24"/>
          </host>
        </lab>
        """;

    private string _file = "";

    /// <summary>The running lab.</summary>
    public LabSession Session { get; private set; } = null!;

    /// <summary>The IP protocol numbers of k1 and k2.</summary>
    public int ProtocolK1 { get; private set; }

    /// <inheritdoc cref="ProtocolK1"/>
    public int ProtocolK2 { get; private set; }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _file = Path.Combine(Path.GetTempPath(), $"vnet-vm-port-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(_file, Xml);
        Session = await LabSession.UpAsync(_file, new LabOptions { CreateLinks = false });
        ProtocolK1 = (await Session.CreateLinkAsync("k1", "raw-p2p", "vm1,vm2")).Link.Protocol;
        ProtocolK2 = (await Session.CreateLinkAsync("k2", "raw-p2p", "vm3,vm4")).Link.Protocol;
        await Session.CreateLinkAsync("k3", "udp-p2p", "vm5,vm6");
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        try
        {
            if (Session is not null) await Session.DisposeAsync();
        }
        finally
        {
            File.Delete(_file);
        }
    }
}

/// <summary>
/// The VM port is a port, not a host interface: while a link holds it the host's own stack
/// answers nothing there (ARP, ND, ping), and a capsule forged by a VM reaches no VM.
/// </summary>
public sealed class VmPortTests(VmPortLab lab) : IClassFixture<VmPortLab>
{
    private LabSession Session => lab.Session;

    private const string H1 = "192.0.2.11";
    private const string H2 = "192.0.2.12";
    private const string ForgedSource = "02:00:00:00:bb:01";

    private string Sysctl(string host, string key) => Session.Exec(host, "sysctl", "-n", key).Output.Trim();

    private void SetSysctl(string host, string key, string value) => Session.Exec(host, "sysctl", "-qw", $"{key}={value}");

    private string PortMac(string host, string port) => Session.Exec(host, "cat", $"/sys/class/net/{port}/address").Output.Trim();

    private string Tables(string host) => Session.Exec(host, "nft", "list", "tables").Output;

    [Fact]
    public async Task A_linked_port_answers_no_arp_nd_or_ping_and_link_delete_restores_it()
    {
        const string Port = "vm7";
        var portMac = PortMac("h1", Port);
        // Values an operator may have had before: VNet must put these back, not its own defaults.
        SetSysctl("h1", $"net.ipv4.conf.{Port}.rp_filter", "2");
        SetSysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6", "0");
        Session.Exec("h1", "ip", "addr", "add", "10.250.0.254/24", "dev", Port);
        Session.Exec("vm7", "ip", "route", "add", "192.0.2.0/24", "dev", "eth0");
        try
        {
            await Session.CreateLinkAsync("k4", "raw-p2p", "vm7,vm8");
            // The capture worker isolates the port as it opens, a moment after the link is reported up.
            await Session.WaitUntilAsync(() => Task.FromResult(Sysctl("h1", $"net.ipv4.conf.{Port}.arp_ignore") == "8"), TimeSpan.FromSeconds(10), "vm7's port isolated");
            Assert.Contains("table netdev vnet-port-vm7", Tables("h1"));
            Assert.Equal("8", Sysctl("h1", $"net.ipv4.conf.{Port}.arp_ignore"));
            Assert.Equal("1", Sysctl("h1", $"net.ipv4.conf.{Port}.rp_filter"));
            Assert.Equal("1", Sysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6"));

            // The nftables drop alone (IPv6 turned back on by hand): no neighbour advertisement, no echo reply.
            SetSysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6", "0");
            var linkLocal = await LinkLocal("h1", Port);
            var answers = $"ether src {portMac} and (arp or icmp or (icmp6 and (ip6[40] == 136 or ip6[40] == 129)))";
            using (var capture = FrameCapture.Start(Session.Ns("vm7"), "eth0", answers, Session.State.Directory, "in"))
            {
                Session.Exec("vm7", "ip", "neigh", "flush", "dev", "eth0");
                var ping6 = Session.Exec("vm7", "ping", "-6", "-c", "2", "-i", "0.3", "-W", "1", $"{linkLocal}%eth0");
                Assert.NotEqual(0, ping6.Exit);
                SetSysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6", "1");
                // ARP for the host's substrate address and for the port's own address; ping both.
                foreach (var target in new[] { H1, "10.250.0.254" })
                {
                    var ping = Measurements.Ping(Session.Ns("vm7"), target, count: 2, interval: 0.3);
                    Assert.Equal(0, ping.Received);
                }
                Assert.Empty(capture.Stop(TimeSpan.FromMilliseconds(300)));
            }

            await Session.ReplyAsync<LinkDeleted>("h1", new DeleteLink("k4"));
            await Session.WaitUntilAsync(() => Task.FromResult(!Tables("h1").Contains("vnet-port-vm7")), TimeSpan.FromSeconds(10), "the port table removed");
            Assert.Equal("0", Sysctl("h1", $"net.ipv4.conf.{Port}.arp_ignore"));
            Assert.Equal("2", Sysctl("h1", $"net.ipv4.conf.{Port}.rp_filter"));
            Assert.Equal("0", Sysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6"));
            // Without the link the host answers again: the silence above was the isolation, not the lab.
            Session.Exec("vm7", "ip", "neigh", "flush", "dev", "eth0");
            Assert.True(Measurements.Ping(Session.Ns("vm7"), "10.250.0.254", count: 2, interval: 0.3).Received > 0, "the host does not answer on its port after link delete");
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink("k4"));
            Session.Exec("h1", "ip", "addr", "del", "10.250.0.254/24", "dev", Port);
            SetSysctl("h1", $"net.ipv6.conf.{Port}.disable_ipv6", "1");
        }
    }

    [Fact]
    public async Task Capsules_and_discovery_datagrams_forged_from_a_vm_port_reach_nothing_even_with_the_port_drop_removed()
    {
        var (h1Port, h2Port) = UdpPorts();
        byte[][] forged =
        [
            Forged(IpPacket(H2, H1, lab.ProtocolK1, Capsule())),   // its own link's number: would come back to vm1
            Forged(IpPacket(H2, H1, lab.ProtocolK2, Capsule())),   // another link's number: would come out at vm3
            Forged(IpPacket(H2, H1, 17, Udp(h2Port, h1Port, Capsule()))), // the udp-p2p link's ports: would come out at vm5
        ];
        var vms = new[] { "vm1", "vm2", "vm3", "vm4", "vm5", "vm6" };

        // And a broadcast to the discovery port: the host's discovery must not take it from a VM port.
        var discovery = Forged(IpPacket("10.250.0.1", "255.255.255.255", 17, Udp(40000, 48600, "VNet forged discovery query"u8.ToArray())), broadcast: true);
        var malformed = await DiscoveryMalformed("h1");

        SendAndExpectNothing(vms, [.. forged, discovery], "with the VM port isolated");

        // The socket checks must stand on their own: take the drop and the reverse-path filter away.
        Session.Exec("h1", "nft", "delete", "table", "netdev", "vnet-port-vm1");
        SetSysctl("h1", "net.ipv4.conf.vm1.rp_filter", "0");
        SetSysctl("h1", "net.ipv4.conf.all.rp_filter", "0");
        SendAndExpectNothing(vms, [.. forged, discovery], "with only the receive sockets' own checks");
        Assert.Equal(malformed, await DiscoveryMalformed("h1"));
    }

    /// <summary>Malformed datagrams h1's discovery took so far (other hosts send only well-formed ones).</summary>
    private async Task<long> DiscoveryMalformed(string host)
    {
        var stats = await Session.ReplyAsync<DiscoveryCounters>(host, GetDiscoveryStats.Instance);
        return stats.Malformed.Values.Sum();
    }

    private void SendAndExpectNothing(string[] vms, byte[][] frames, string what)
    {
        var captures = vms.ToDictionary(v => v, v => FrameCapture.Start(Session.Ns(v), "eth0", $"ether src {ForgedSource}", Session.State.Directory, "in"));
        try
        {
            using (var socket = PacketSocket.Open(Session.Ns("vm1"), "eth0"))
                foreach (var f in frames) socket.Send(f);
            foreach (var (vm, capture) in captures)
                Assert.True(capture.Stop(TimeSpan.FromMilliseconds(vm == "vm1" ? 800 : 50)).Count == 0, $"a forged capsule came out at {vm} {what}");
        }
        finally
        {
            foreach (var c in captures.Values) c.Dispose();
        }
    }

    /// <summary>h1's and h2's UDP ports of k3, from h1's connected UDP socket (<c>ss</c>; it shows a bound device as <c>addr%dev:port</c>).</summary>
    private (int Local, int Remote) UdpPorts()
    {
        var output = Session.Exec("h1", "ss", "-Hnua").Output;
        foreach (var line in output.Split('\n'))
        {
            var ends = System.Text.RegularExpressions.Regex.Matches(line, @"(\d+\.\d+\.\d+\.\d+)(?:%\S+)?:(\d+)");
            if (ends.Count == 2 && ends[0].Groups[1].Value == H1 && ends[1].Groups[1].Value == H2)
                return (int.Parse(ends[0].Groups[2].Value), int.Parse(ends[1].Groups[2].Value));
        }
        throw new Xunit.Sdk.XunitException($"no UDP socket {H1} -> {H2} on h1:{Environment.NewLine}{output}");
    }

    /// <summary>A VNet capsule (version 1, no flags) of a broadcast frame from <see cref="ForgedSource"/>.</summary>
    private static byte[] Capsule()
    {
        byte[] frame = [.. Convert.FromHexString("ffffffffffff"), .. Convert.FromHexString(ForgedSource.Replace(":", "")), 0x88, 0xb6, .. "VNet forged capsule, never to arrive anywhere."u8];
        var capsule = new byte[4 + frame.Length];
        capsule[0] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(capsule.AsSpan(2), (ushort)frame.Length);
        frame.CopyTo(capsule, 4);
        return capsule;
    }

    private static byte[] Udp(int sourcePort, int destinationPort, byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), (ushort)destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8); // checksum 0: none, which IPv4 allows
        return udp;
    }

    private static byte[] IpPacket(string source, string destination, int protocol, byte[] payload)
    {
        var ip = new byte[20 + payload.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64;
        ip[9] = (byte)protocol;
        System.Net.IPAddress.Parse(source).GetAddressBytes().CopyTo(ip, 12);
        System.Net.IPAddress.Parse(destination).GetAddressBytes().CopyTo(ip, 16);
        uint sum = 0;
        for (var i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip.AsSpan(i));
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), (ushort)~sum);
        payload.CopyTo(ip, 20);
        return ip;
    }

    /// <summary>An Ethernet frame from vm1 to its host-side port (or broadcast) carrying <paramref name="ipPacket"/>.</summary>
    private byte[] Forged(byte[] ipPacket, bool broadcast = false)
    {
        var port = broadcast ? Convert.FromHexString("ffffffffffff") : Convert.FromHexString(PortMac("h1", "vm1").Replace(":", ""));
        var vm1 = new byte[6];
        Session.Mac("vm1").WriteTo(vm1);
        return [.. port, .. vm1, 0x08, 0x00, .. ipPacket];
    }

    /// <summary>The IPv6 link-local address of <paramref name="port"/> on <paramref name="host"/>, once it has one.</summary>
    private async Task<string> LinkLocal(string host, string port)
    {
        var address = "";
        await Session.WaitUntilAsync(() =>
        {
            var words = Session.Exec(host, "ip", "-6", "-o", "addr", "show", "dev", port, "scope", "link").Output
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            address = words.SkipWhile(w => w != "inet6").Skip(1).FirstOrDefault()?.Split('/')[0] ?? "";
            return Task.FromResult(address.Length > 0);
        }, TimeSpan.FromSeconds(10), $"a link-local address on {port}");
        return address;
    }
}

/// <summary>
/// A vnetd that stops cleanly gives its VM ports back; one that was killed leaves its table, and the
/// next vnetd on that host removes it at start with the values its comment recorded.
/// </summary>
public sealed class VmPortLifetimeTests
{
    [Fact]
    public async Task A_clean_stop_restores_the_port_and_a_killed_vnetds_table_is_removed_at_the_next_start()
    {
        var session = await LabSession.UpAsync("two-hosts");
        try
        {
            string Tables() => session.Exec("h1", "nft", "list", "tables").Output;
            string ArpIgnore() => session.Exec("h1", "sysctl", "-n", "net.ipv4.conf.vm1.arp_ignore").Output.Trim();
            await session.WaitUntilAsync(() => Task.FromResult(Tables().Contains("vnet-port-vm1")), TimeSpan.FromSeconds(15), "h1 isolating vm1");
            Assert.Equal("8", ArpIgnore());

            session.Stop("h1");
            Assert.DoesNotContain("vnet-port-vm1", Tables());
            Assert.Equal("0", ArpIgnore());

            // A killed vnetd cannot clean up: isolate by hand as it would have, then let the next one start.
            session.Start("h1");
            await session.WaitUntilAsync(() => Task.FromResult(Tables().Contains("vnet-port-vm1")), TimeSpan.FromSeconds(60), "h1 isolating vm1 again");
            session.Kill("h1");
            Assert.Contains("vnet-port-vm1", Tables());
            Assert.Equal("8", ArpIgnore());
            var log = session.State.Processes.First(p => p.Name == "vnetd-h1").Log;
            session.Start("h1");
            await session.WaitUntilAsync(() => Task.FromResult(File.ReadAllText(log).Contains("removed stale VM port table vnet-port-vm1, restored net.ipv4.conf.vm1.arp_ignore=0")),
                TimeSpan.FromSeconds(30), "the restarted vnetd removing the stale table");
        }
        finally
        {
            await session.DisposeAsync();
        }
    }
}
