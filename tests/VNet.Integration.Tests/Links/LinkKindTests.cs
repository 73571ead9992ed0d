using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using VNet.Integration.Tests.Support;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// A three-hosts lab (one substrate subnet) with one link of a given kind between the VMs —
/// vm1 and vm2 for point-to-point kinds, vm1, vm2 and vm3 for multipoint ones.
/// </summary>
public abstract class LinkKindLab : IAsyncLifetime
{
    public abstract string Kind { get; }

    public bool Multipoint => Kind.EndsWith("multipoint", StringComparison.Ordinal);

    /// <summary>The kernel forwards this kind: per-frame options are refused, not applied.</summary>
    public bool Kernel => Kind.StartsWith("kernel", StringComparison.Ordinal);

    public LabSession Session { get; private set; } = null!;

    public int VmMtu { get; private set; }

    public async Task InitializeAsync()
    {
        Session = await LabSession.UpAsync("three-hosts", new LabOptions { CreateLinks = false });
        var link = await Session.CreateLinkAsync("k1", Kind, Multipoint ? "vm1,vm2,vm3" : "vm1,vm2");
        VmMtu = link.VmMtu ?? await Session.VmMtuAsync(link);
    }

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

public sealed class RawP2PLab : LinkKindLab { public override string Kind => "raw-p2p"; }
public sealed class UdpP2PLab : LinkKindLab { public override string Kind => "udp-p2p"; }
public sealed class RawMultipointLab : LinkKindLab { public override string Kind => "raw-multipoint"; }
public sealed class UdpMultipointLab : LinkKindLab { public override string Kind => "udp-multipoint"; }
public sealed class KernelP2PLab : LinkKindLab { public override string Kind => "kernel-p2p"; }

/// <summary>
/// What every link kind must do: be as transparent as a cable at layer 2, carry
/// frames up to its announced size, and apply compression, DSCP, shaping and loss — live.
/// </summary>
public abstract partial class LinkKindTests<TLab>(TLab lab) : IClassFixture<TLab> where TLab : LinkKindLab
{
    private const string Vm2Ip = "10.250.0.2";
    private LabSession Session => lab.Session;
    private TLab Fixture => lab;

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private byte[] MacBytes(string vm)
    {
        var b = new byte[6];
        Session.Mac(vm).WriteTo(b);
        return b;
    }

    private byte[] Frame(byte[] destination, string rest) => [.. destination, .. MacBytes("vm1"), .. Hex(rest)];

    /// <summary>Sends frames from vm1's wire and returns what vm2's wire received from vm1 (as libpcap sees it).</summary>
    private List<byte[]> SendFromVm1(string filterAtVm2, params byte[][] frames)
    {
        using var capture = FrameCapture.Start(Session.Ns("vm2"), "eth0", $"ether src {Session.Mac("vm1")} and ({filterAtVm2})", Session.State.Directory, count: frames.Length);
        using (var socket = PacketSocket.Open(Session.Ns("vm1"), "eth0"))
            foreach (var f in frames) socket.Send(f);
        return capture.WaitForCount(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Arp_and_ping_work_between_the_vms()
    {
        Session.Exec("vm1", "ip", "neigh", "flush", "dev", "eth0");
        var ping = Measurements.Ping(Session.Ns("vm1"), Vm2Ip, count: 4);
        Assert.True(ping.Received == 4, $"{ping.Received}/4 answered{Environment.NewLine}{Session.Logs()}");
        var neighbour = Session.Exec("vm1", "ip", "neigh", "show", Vm2Ip).Output;
        Assert.Contains(Session.Mac("vm2").ToString(), neighbour);
    }

    [Fact]
    public void A_broadcast_reaches_the_peer()
    {
        var frame = Frame(Hex("ffffffffffff"), "88b6 " + Convert.ToHexString("VNet broadcast test frame padding to 46+"u8));
        var received = SendFromVm1("ether broadcast and ether proto 0x88b6", frame);
        Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(received.Single()));
    }

    [Fact]
    public void Ipv6_link_local_ping_works_through_neighbour_discovery()
    {
        var addr = Session.Exec("vm2", "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").Output;
        var ll = addr.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "inet6").Skip(1).First().Split('/')[0];
        var ping = Session.Exec("vm1", "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", $"{ll}%eth0");
        Assert.True(ping.Exit == 0, $"ping -6 {ll}%eth0 failed: {ping.Output}");
    }

    [Fact]
    public void Vlan_tagged_and_non_ip_frames_arrive_byte_identical()
    {
        var payload = Convert.ToHexString("VNet frame with an odd ethertype, 46+ bytes long."u8);
        var tagged = Frame(MacBytes("vm2"), "8100 0064 88b5 " + payload);
        var untagged = Frame(MacBytes("vm2"), "88b5 " + payload);
        var received = SendFromVm1("ether proto 0x88b5 or vlan", tagged, untagged);
        Assert.Equal(2, received.Count);
        Assert.Equal(Convert.ToHexString(tagged), Convert.ToHexString(received[0]));
        Assert.Equal(Convert.ToHexString(untagged), Convert.ToHexString(received[1]));
    }

    [Fact]
    public void A_frame_of_the_announced_maximum_size_arrives_unfragmented()
    {
        Assert.InRange(lab.VmMtu, 1400, 1500);
        var size = lab.VmMtu - 28; // IPv4 + ICMP headers
        var ping = Measurements.Ping(Session.Ns("vm1"), Vm2Ip, count: 3, size: size, dontFragment: true);
        Assert.True(ping.Received == 3, $"ping -M do -s {size}: {ping.Received}/3");
    }

    [Fact]
    public void Tcp_iperf3_crosses_the_link()
    {
        var tcp = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), Vm2Ip, 2, logDirectory: Session.State.Directory);
        Assert.True(tcp.ReceivedBitsPerSecond > 20e6, $"{tcp.ReceivedBitsPerSecond / 1e6:0.0} Mbit/s");
    }

    [Fact]
    public async Task Tcp_super_frames_cross_as_one_capsule_each_and_arrive_with_good_checksums()
    {
        // The lab leaves the VM NICs' offloads on, so vm1's TCP hands over 64 KB TSO super-frames.
        var before = await Counters("h1", "vm->net");
        var errorsBefore = TcpChecksumErrors("vm2");
        // IP fragments from h1 arriving at h2: the raw kinds leave large capsules to IP fragmentation;
        // the UDP kinds send them as trains of datagrams and the kernel's VXLAN segments them first:
        // neither fragments.
        using var fragments = FrameCapture.Start(Session.Ns("h2"), "eth0", "src host 192.0.2.11 and ip[6:2] & 0x3fff != 0", Session.State.Directory, "in", count: 100);
        var tcp = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), Vm2Ip, 2, logDirectory: Session.State.Directory);
        var after = await Counters("h1", "vm->net");
        var fragmentCount = fragments.Stop(TimeSpan.FromMilliseconds(300)).Count;
        if (lab.Kind.StartsWith("udp", StringComparison.Ordinal) || lab.Kernel) Assert.Equal(0, fragmentCount);
        else Assert.True(fragmentCount > 0, "no IP fragment seen: super-frames did not cross as large capsules");
        var averageFrame = (after.Bytes - before.Bytes) / (double)Math.Max(1, after.Frames - before.Frames);
        Assert.True(averageFrame > 8000, $"average frame {averageFrame:0} bytes: super-frames were cut up before the link");
        Assert.True(tcp.ReceivedBitsPerSecond > 20e6, $"{tcp.ReceivedBitsPerSecond / 1e6:0.0} Mbit/s");
        Assert.Equal(errorsBefore, TcpChecksumErrors("vm2"));
    }

    [Fact]
    public async Task A_vm_with_offloads_off_sends_finished_frames_and_tcp_still_crosses()
    {
        Session.Exec("vm1", "ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off");
        try
        {
            var before = await Counters("h1", "vm->net");
            var tcp = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), Vm2Ip, 2, logDirectory: Session.State.Directory);
            var after = await Counters("h1", "vm->net");
            var averageFrame = (after.Bytes - before.Bytes) / (double)Math.Max(1, after.Frames - before.Frames);
            Assert.True(averageFrame <= 1518, $"average frame {averageFrame:0} bytes with TSO off");
            Assert.True(tcp.ReceivedBitsPerSecond > 20e6, $"{tcp.ReceivedBitsPerSecond / 1e6:0.0} Mbit/s");
        }
        finally
        {
            Session.Exec("vm1", "ethtool", "-K", "eth0", "tx", "on", "tso", "on", "gso", "on");
        }
    }

    /// <summary>TCP segments a VM's stack refused for a bad checksum (InCsumErrors of /proc/net/snmp in its namespace).</summary>
    private long TcpChecksumErrors(string vm)
    {
        var lines = Session.Exec(vm, "cat", "/proc/net/snmp").Output.Split('\n').Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ');
        var values = lines[1].Split(' ');
        return long.Parse(values[Array.IndexOf(names, "InCsumErrors")], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Compression_shrinks_compressible_frames_and_keeps_them_intact()
    {
        if (lab.Kernel)
        {
            await RefusedForTheKernelKind(new LinkOptionChanges { Compression = Compression.Lz4 }, "compression lz4");
            return;
        }
        var before = await Counters("h1", "vm->net");
        await Set(new LinkOptionChanges { Compression = Compression.Lz4 });
        try
        {
            // ping checks every reply's payload against its pattern: corruption would show as errors or loss.
            var r = Session.Exec("vm1", "ping", "-c", "20", "-i", "0.05", "-s", "1200", "-p", "a5", Vm2Ip);
            Assert.Contains("20 received", r.Output);
            Assert.DoesNotContain("wrong data", r.Output);
        }
        finally
        {
            await Set(new LinkOptionChanges { Compression = Compression.None });
        }
        var after = await Counters("h1", "vm->net");
        var ratio = (after.Wire - before.Wire) / (double)(after.Bytes - before.Bytes);
        Assert.True(ratio < 0.5, $"compression ratio {ratio:0.000}");
        // Adaptive compression may skip a frame or two right after an incompressible one (ARP, ...).
        Assert.True(after.Compressed - before.Compressed >= 15, $"{after.Compressed - before.Compressed} frames sent compressed");
    }

    [Fact]
    public async Task Dscp_is_visible_on_the_substrate_packets()
    {
        await Set(new LinkOptionChanges { Dscp = 46 });
        try
        {
            // TOS 0xb8 = DSCP 46 << 2, on capsules from h1 (192.0.2.11) seen arriving at h2.
            using var capture = FrameCapture.Start(Session.Ns("h2"), "eth0", "src host 192.0.2.11 and ip[1] = 0xb8", Session.State.Directory, count: 3);
            Measurements.Ping(Session.Ns("vm1"), Vm2Ip, count: 3);
            Assert.True(capture.WaitForCount(TimeSpan.FromSeconds(5)).Count >= 3, "no capsule with TOS 0xb8 seen on the substrate");
        }
        finally
        {
            await Set(new LinkOptionChanges { Dscp = 0 });
        }
    }

    [Fact]
    public async Task Shaping_holds_tcp_within_ten_percent_of_the_set_bandwidth()
    {
        await Set(new LinkOptionChanges { BandwidthBitsPerSecond = 40_000_000 });
        try
        {
            // The shaper meters Ethernet frames, so TCP goodput sits a few percent under the rate
            // (headers); the first second (slow start) is left out, as iperf3 -O does.
            var tcp = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), Vm2Ip, 4, logDirectory: Session.State.Directory, omitSeconds: 1);
            Assert.InRange(tcp.ReceivedBitsPerSecond / 1e6, 36, 44);
        }
        finally
        {
            await Set(new LinkOptionChanges { BandwidthBitsPerSecond = 0 });
        }
    }

    [Fact]
    public async Task Loss_setting_gives_the_asked_loss_within_two_and_a_half_points()
    {
        if (lab.Kernel)
        {
            await RefusedForTheKernelKind(new LinkOptionChanges { LossPercent = 10 }, "loss 10 %");
            return;
        }
        var before = await Counters("h1", "vm->net");
        await Set(new LinkOptionChanges { LossPercent = 10 });
        PingResult ping;
        try
        {
            // Both ends drop 10 % of what they send, so a ping round trip survives with (1 - p)^2.
            ping = Measurements.Ping(Session.Ns("vm1"), Vm2Ip, count: 2000, interval: 0.002);
        }
        finally
        {
            await Set(new LinkOptionChanges { LossPercent = 0 });
        }
        var after = await Counters("h1", "vm->net");
        var dropped = after.Impairment - before.Impairment;
        var offered = after.Frames - before.Frames + dropped;
        // What h1 dropped on purpose: ~2000 requests, standard deviation 0.7 points, so ±2.5 is 3.7 sigma.
        Assert.InRange(100.0 * dropped / offered, 7.5, 12.5);
        // What the user sees: one-way loss derived from the round trip, 2000 probes (sigma ≈ 0.5 points).
        var oneWay = 100 * (1 - Math.Sqrt(ping.Received / (double)ping.Sent));
        Assert.InRange(oneWay, 7.5, 12.5);
    }

    [Fact]
    public async Task Live_link_set_changes_the_rate_without_breaking_the_tcp_connection()
    {
        await Set(new LinkOptionChanges { BandwidthBitsPerSecond = 20_000_000 });
        try
        {
            var run = Task.Run(() => Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), Vm2Ip, 6, logDirectory: Session.State.Directory));
            await Task.Delay(2500);
            await Set(new LinkOptionChanges { BandwidthBitsPerSecond = 60_000_000 });
            var tcp = await run; // throws if the connection broke
            // What the receiver got per second: ~20 before the change at 2.5 s, ~60 after.
            var received = tcp.ReceiverIntervals;
            var text = string.Join(", ", received.Select(i => (i / 1e6).ToString("0.0", CultureInfo.InvariantCulture)));
            Assert.True(received.Count >= 6, $"receiver intervals: {text}");
            // Before: the slower of the first two seconds (slow start may overshoot one); after: the
            // median of the whole seconds after the change (the last interval is a partial one).
            var before = received.Take(2).Min();
            var after = received.Skip(3).Take(received.Count - 4).Order().ElementAt((received.Count - 4) / 2);
            Assert.True(before < 24e6 && after > 45e6, $"receiver intervals {text} Mbit/s");
        }
        finally
        {
            await Set(new LinkOptionChanges { BandwidthBitsPerSecond = 0 });
        }
    }

    [Fact]
    public void Every_member_reaches_every_other_and_nobody_gets_its_own_frames_back()
    {
        var vms = lab.Multipoint ? new[] { "vm1", "vm2", "vm3" } : ["vm1", "vm2"];
        using var echo = FrameCapture.Start(Session.Ns("vm1"), "eth0", $"ether src {Session.Mac("vm1")}", Session.State.Directory, direction: "in");
        foreach (var from in vms)
            foreach (var to in vms.Where(v => v != from))
            {
                var r = Session.Exec(from, "ping", "-c", "2", "-i", "0.2", "-W", "2", $"10.250.0.{to[2..]}");
                Assert.True(r.Output.Contains("2 received") && !r.Output.Contains("DUP!"), $"{from} -> {to}: {r.Output}");
            }
        Assert.Empty(echo.Stop());
    }

    /// <summary>
    /// A kernel link cannot do <paramref name="changes"/>: `link set` is refused with a reason that names
    /// the option and the kind, and the link keeps its options and carries traffic.
    /// </summary>
    private async Task RefusedForTheKernelKind(LinkOptionChanges changes, string option)
    {
        var reply = await Session.AskAsync("h1", new SetLinkOptions("k1", changes));
        var rejected = Assert.IsType<LinkRejected>(reply);
        var reason = string.Join("; ", rejected.Problems);
        Assert.Contains(option, reason);
        Assert.Contains($"not possible on a {lab.Kind} link", reason);
        var links = await Session.ReplyAsync<LinkList>("h1", new GetLinks("k1"));
        Assert.Equal(LinkOptions.Default with { Authenticate = links.Links.Single().Link.Options.Authenticate }, links.Links.Single().Link.Options);
        Assert.Equal(3, Measurements.Ping(Session.Ns("vm1"), Vm2Ip, count: 3).Received);
    }

    private async Task Set(LinkOptionChanges changes) =>
        await Session.ReplyAsync<LinkOptionsSet>("h1", new SetLinkOptions("k1", changes));

    private async Task<(long Frames, long Bytes, long Wire, long Compressed, long Impairment)> Counters(string host, string direction)
    {
        var stats = await Session.ReplyAsync<LinkStats>("h1", new GetLinkStats("k1"));
        var c = stats.Directions.Single(d => d.Host == host && d.Direction == direction).Counters;
        return (c.Frames, c.Bytes, c.WireBytes, c.CompressedFrames, c.Drops.GetValueOrDefault("impairment"));
    }
}

public sealed class RawP2PTests(RawP2PLab lab) : LinkKindTests<RawP2PLab>(lab);
public sealed class UdpP2PTests(UdpP2PLab lab) : LinkKindTests<UdpP2PLab>(lab);
public sealed class RawMultipointTests(RawMultipointLab lab) : LinkKindTests<RawMultipointLab>(lab);
public sealed class UdpMultipointTests(UdpMultipointLab lab) : LinkKindTests<UdpMultipointLab>(lab);
public sealed class KernelP2PTests(KernelP2PLab lab) : LinkKindTests<KernelP2PLab>(lab);
