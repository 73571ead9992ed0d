using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Integration.Tests.Support;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// Two hosts on one substrate subnet with two VMs each, so two kernel-p2p links run between the
/// same pair of hosts: a1 ~ b1 and a2 ~ b2.
/// </summary>
public sealed class TwoPairsLab : IAsyncLifetime
{
    private const string Xml = """
        <lab name="two-pairs">
          <router name="r">
            <interface name="lan" subnet="lan" address="192.0.2.1/24"/>
          </router>
          <host name="h1">
            <interface name="eth0" subnet="lan" address="192.0.2.11/24" gateway="192.0.2.1"/>
            <vm name="a1" mac="02:00:00:00:0a:01" address="10.251.1.1/24"/>
            <vm name="a2" mac="02:00:00:00:0a:02" address="10.251.2.1/24"/>
          </host>
          <host name="h2">
            <interface name="eth0" subnet="lan" address="192.0.2.12/24" gateway="192.0.2.1"/>
            <vm name="b1" mac="02:00:00:00:0b:01" address="10.251.1.2/24"/>
            <vm name="b2" mac="02:00:00:00:0b:02" address="10.251.2.2/24"/>
          </host>
        </lab>
        """;

    public LabSession Session { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Session = await LabSession.UpAsync(LabFile.Parse(Xml, "two-pairs.xml"), new LabOptions { CreateLinks = false });

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>What only the kernel kind has: devices that must not leak, links that must not mix, options it must refuse.</summary>
public sealed class KernelLinkTests(TwoPairsLab lab) : IClassFixture<TwoPairsLab>
{
    private LabSession Session => lab.Session;

    [Fact]
    public async Task Two_kernel_links_between_the_same_hosts_never_see_each_others_frames()
    {
        await Session.CreateLinkAsync("p1", "kernel-p2p", "a1,b1");
        await Session.CreateLinkAsync("p2", "kernel-p2p", "a2,b2");
        try
        {
            var links = (await Session.ReplyAsync<LinkList>("h1", new GetLinks())).Links.ToDictionary(l => l.Link.Id);
            Assert.NotEqual(links["p1"].Link.Vni, links["p2"].Link.Vni);
            Assert.All(links.Values, l => Assert.InRange(l.Link.Vni, LinkSpec.FirstVni, LinkSpec.LastVni));

            // A broadcast from each pair's VM on h1: its peer gets it, the other pair's VMs never do.
            foreach (var (from, peer, others) in new[] { ("a1", "b1", new[] { "a2", "b2" }), ("a2", "b2", new[] { "a1", "b1" }) })
            {
                var frame = Broadcast(from);
                var filter = $"ether src {Session.Mac(from)} and ether proto 0x88b6";
                using var atPeer = FrameCapture.Start(Session.Ns(peer), "eth0", filter, Session.State.Directory, count: 3);
                var atOthers = others.Select(o => FrameCapture.Start(Session.Ns(o), "eth0", filter, Session.State.Directory)).ToList();
                try
                {
                    using (var socket = PacketSocket.Open(Session.Ns(from), "eth0"))
                        for (var i = 0; i < 3; i++) socket.Send(frame);
                    Assert.Equal(3, atPeer.WaitForCount(TimeSpan.FromSeconds(5)).Count);
                    foreach (var c in atOthers) Assert.Empty(c.Stop(TimeSpan.FromMilliseconds(300)));
                }
                finally
                {
                    foreach (var c in atOthers) c.Dispose();
                }
            }
            Assert.Equal(3, Measurements.Ping(Session.Ns("a1"), "10.251.1.2", count: 3).Received);
            Assert.Equal(3, Measurements.Ping(Session.Ns("a2"), "10.251.2.2", count: 3).Received);

            // The counters come from each end's device: what a1 sent is what b1's end received.
            var stats = await Session.ReplyAsync<LinkStats>("h1", new GetLinkStats("p1"));
            var sent = stats.Directions.Single(d => d.Host == "h1" && d.Direction == "vm->net").Counters;
            var received = stats.Directions.Single(d => d.Host == "h2" && d.Direction == "net->vm").Counters;
            Assert.True(sent.Frames >= 6, $"h1 sent {sent.Frames} frames");
            Assert.InRange(received.Frames, sent.Frames - 2, sent.Frames + 2);
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink("p1"));
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink("p2"));
        }
    }

    [Fact]
    public async Task Deleting_a_kernel_link_leaves_no_device_redirect_qdisc_or_port_table()
    {
        await Session.CreateLinkAsync("p3", "kernel-p2p", "a1,b1", LinkOptions.Default with { BandwidthBitsPerSecond = 50_000_000, Dscp = 10 });
        var device = VNet.Capture.Kernel.VxlanCommands.DeviceName("p3");
        try
        {
            Assert.Contains(device, Session.Exec("h1", "ip", "-br", "link", "show", "type", "vxlan").Output);
            Assert.Contains("tbf", Session.Exec("h1", "tc", "qdisc", "show", "dev", device).Output);
            Assert.Contains("ingress", Session.Exec("h2", "tc", "qdisc", "show", "dev", "b1").Output);
        }
        finally
        {
            await Session.ReplyAsync<LinkDeleted>("h1", new DeleteLink("p3"));
        }
        foreach (var (host, port) in new[] { ("h1", "a1"), ("h2", "b1") })
        {
            // The end removes the device, then the VM port's redirect, then its port table: wait for the last.
            await Session.WaitUntilAsync(() => Task.FromResult(Session.Exec(host, "ip", "-br", "link", "show", "type", "vxlan").Output.Trim().Length == 0
                    && !Session.Exec(host, "nft", "list", "tables").Output.Contains("vnet-port", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10), $"the VXLAN device and the port table on {host} to go");
            Assert.DoesNotContain("ingress", Session.Exec(host, "tc", "qdisc", "show", "dev", port).Output);
            Assert.DoesNotContain("vnet-port", Session.Exec(host, "nft", "list", "tables").Output);
        }
    }

    [Fact]
    public async Task A_kernel_link_left_by_a_killed_node_is_removed_when_it_starts_again()
    {
        await Session.CreateLinkAsync("p4", "kernel-p2p", "a2,b2");
        var old = Session.Exec("h1", "ip", "-j", "link", "show", "type", "vxlan").Output;
        try
        {
            Session.Kill("h1");
            Assert.Contains(VNet.Capture.Kernel.VxlanCommands.DeviceName("p4"), Session.Exec("h1", "ip", "-br", "link", "show", "type", "vxlan").Output);
            Session.Start("h1");
            // The node removes what it left, then the manager gives it its end back: a new device, traffic flows.
            await Session.WaitUntilAsync(async () => (await Session.LinkAsync("p4", "h2")).Phase == LinkPhase.Established
                && Session.Exec("h1", "ip", "-j", "link", "show", "type", "vxlan").Output is var now && now.Length > 2 && now != old,
                TimeSpan.FromSeconds(60), "link p4 back with a new device on h1");
            Assert.Single(Session.Exec("h1", "ip", "-br", "link", "show", "type", "vxlan").Output.Trim().Split('\n'));
            Assert.Equal(3, Measurements.Ping(Session.Ns("a2"), "10.251.2.2", count: 3).Received);
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h2", new DeleteLink("p4"));
        }
    }

    [Fact]
    public async Task A_vm_port_that_vanishes_and_comes_back_is_redirected_again()
    {
        var link = await Session.CreateLinkAsync("p6", "kernel-p2p", "a1,b1");
        var mtu = link.VmMtu ?? await Session.VmMtuAsync(link);
        try
        {
            Shell.Ip("-n", Session.Ns("h2"), "link", "del", "b1"); // its peer, eth0 in b1's namespace, goes with it
            await Session.WaitUntilAsync(async () => (await Session.LinkAsync("p6")).Ends.Any(e => e.Status == LinkStatus.Waiting),
                TimeSpan.FromSeconds(15), "link p6 waiting for b1's interface");
            LabRunner.WireVm(Session.Lab.Vms.First(v => v.Name == "b1"), Session.State.Prefix);
            Shell.Ip("-n", Session.Ns("b1"), "link", "set", "eth0", "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(Session.Ns("a1"), "10.251.1.2", count: 1, interval: 0.2).Received == 1),
                TimeSpan.FromSeconds(30), "a1 reaching b1 again");
            Assert.Contains("mirred", Session.Exec("h2", "tc", "filter", "show", "dev", "b1", "ingress").Output);
            Assert.Equal(3, Measurements.Ping(Session.Ns("b1"), "10.251.1.1", count: 3).Received);
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink("p6"));
        }
    }

    [Fact]
    public async Task A_node_that_stops_takes_its_kernel_ends_with_it()
    {
        await Session.CreateLinkAsync("p7", "kernel-p2p", "a2,b2");
        try
        {
            Session.Stop("h2");
            Assert.Empty(Session.Exec("h2", "ip", "-br", "link", "show", "type", "vxlan").Output.Trim());
            Assert.DoesNotContain("ingress", Session.Exec("h2", "tc", "qdisc", "show", "dev", "b2").Output);
            Session.Start("h2");
            await Session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(Session.Ns("a2"), "10.251.2.2", count: 1, interval: 0.2).Received == 1),
                TimeSpan.FromSeconds(60), "link p7 back after h2 started again");
        }
        finally
        {
            await Session.TryReplyAsync<LinkDeleted>("h1", new DeleteLink("p7"));
        }
    }

    [Theory]
    [InlineData("delay", "delay 5 ms")]
    [InlineData("jitter", "jitter 1 ms")]
    [InlineData("encrypt", "encrypt")]
    public async Task Create_with_an_option_the_kernel_cannot_honour_is_refused_with_its_reason(string option, string named)
    {
        var options = option switch
        {
            "delay" => LinkOptions.Default with { DelayMs = 5 },
            "jitter" => LinkOptions.Default with { DelayMs = 2, JitterMs = 1 },
            _ => LinkOptions.Default with { Encrypt = true },
        };
        var reply = await Session.AskAsync("h1", new CreateLink("p5", LinkKind.KernelP2P, ["a1", "b1"], options));
        var rejected = Assert.IsType<LinkRejected>(reply);
        var reason = string.Join("; ", rejected.Problems);
        Assert.Contains(named, reason);
        Assert.Contains("not possible on a kernel-p2p link", reason);
        // Nothing was made for the refused link (another test's link may still be going away).
        Assert.DoesNotContain(VNet.Capture.Kernel.VxlanCommands.DeviceName("p5"), Session.Exec("h1", "ip", "-br", "link", "show", "type", "vxlan").Output);
        Assert.DoesNotContain(await Session.AskAsync("h1", new GetLinks()) is LinkList list ? list.Links : [], l => l.Link.Id == "p5");
    }

    private byte[] Broadcast(string from)
    {
        var mac = new byte[6];
        Session.Mac(from).WriteTo(mac);
        return [.. Convert.FromHexString("ffffffffffff"), .. mac, .. Convert.FromHexString("88b6"), .. "VNet kernel link isolation test frame, 46+ bytes"u8];
    }
}
