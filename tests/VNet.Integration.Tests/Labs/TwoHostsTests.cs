using VNet.Host.Labs;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Integration.Tests.Labs;

/// <summary>The shared two-hosts lab for the tests of one class (built once, torn down after).</summary>
public sealed class TwoHostsLab : IAsyncLifetime
{
    public LabSession Session { get; private set; } = null!;

    public async Task InitializeAsync() => Session = await LabSession.UpAsync("two-hosts");

    public async Task DisposeAsync() => await Session.DisposeAsync();
}

/// <summary>
/// The walking skeleton end to end: labs/two-hosts with real vnetd processes, one raw-p2p link
/// negotiated through the cluster, real frames through SharpPcap and raw sockets.
/// </summary>
public sealed class TwoHostsTests(TwoHostsLab lab) : IClassFixture<TwoHostsLab>
{
    private LabSession Session => lab.Session;

    [Fact]
    public async Task Both_hosts_are_up_in_one_cluster()
    {
        var members = (await Session.ReplyAsync<MemberList>("h2", GetMembers.Instance)).Members;
        Assert.Equal(2, members.Length);
        Assert.All(members, m => Assert.Equal("up", m.Status));
        Assert.Equal(["h1", "h2"], members.Select(m => m.Host ?? "?").Order().ToArray());
    }

    [Fact]
    public void Vm1_pings_vm2_through_the_link()
    {
        var ping = Measurements.Ping(Session.Ns("vm1"), "10.250.0.2", count: 5);
        Assert.True(ping.Received == 5, $"{ping.Received}/{ping.Sent} answered{Environment.NewLine}{Session.Logs()}");
    }

    [Fact]
    public void Iperf3_tcp_transfer_crosses_the_link()
    {
        var result = Measurements.Iperf(Session.Ns("vm2"), Session.Ns("vm1"), "10.250.0.2", seconds: 2, logDirectory: Session.State.Directory);
        Assert.True(result.Bytes > 1_000_000, $"only {result.Bytes} bytes arrived");
        Assert.True(result.ReceivedBitsPerSecond > 10e6, $"{result.ReceivedBitsPerSecond / 1e6:0.0} Mbit/s");
    }

    [Fact]
    public async Task Both_hosts_report_the_same_protocol_number_in_the_unassigned_range()
    {
        var p1 = await ProtocolOn("h1");
        var p2 = await ProtocolOn("h2");
        Assert.Equal(p1, p2);
        Assert.InRange(p1, 143, 252);
        var shown = (await Session.ReplyAsync<LinkList>("h1", new GetLinks())).Links.Single();
        Assert.Equal(p1, shown.Link.Protocol);
        Assert.Equal(LinkPhase.Established, shown.Phase);
    }

    [Fact]
    public async Task Substrate_packets_between_the_hosts_carry_the_negotiated_protocol_number()
    {
        var protocol = await ProtocolOn("h1");
        // Capture on the router's interface toward h1 while vm1 pings vm2: the capsules must be
        // IPv4 packets with the link's protocol number, between the two hosts' substrate addresses.
        var capture = Task.Run(() => Session.Exec("r", "timeout", "10", "tcpdump", "-n", "-i", "to-h1", "-c", "6",
            $"ip proto {protocol} and host 192.0.2.10 and host 198.51.100.10"));
        await Task.Delay(1000);
        Measurements.Ping(Session.Ns("vm1"), "10.250.0.2", count: 5);
        var result = await capture;
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 6, $"tcpdump saw {lines.Length} packets with protocol {protocol}:{Environment.NewLine}{result.Output}{result.Error}");
        Assert.All(lines, l => Assert.Contains("192.0.2.10", l));
    }

    [Fact]
    public async Task Discover_lists_both_hosts_with_interfaces_gateway_vms_and_load()
    {
        var (progress, reply) = await Session.StreamAsync("h1", new SearchHosts(null, 1, null));
        var done = Assert.IsType<SearchDone>(reply);
        Assert.Contains(progress, p => p is HostAnswered { Host.Info.Name: "h2" });
        var self = done.Self!;
        var h2 = done.Hosts.Single();
        Assert.Equal(("h1", "h2", 2), (self.Name, h2.Info.Name, h2.Ttl));
        foreach (var (info, address, gateway, vm, mac) in new[] { (self, "192.0.2.10", "192.0.2.1", "vm1", "02:00:00:00:01:01"), (h2.Info, "198.51.100.10", "198.51.100.1", "vm2", "02:00:00:00:02:01") })
        {
            var eth0 = info.Interfaces.Single(i => i.Name == "eth0");
            Assert.Equal((address, gateway), (eth0.IPv4, eth0.Gateway));
            var offered = info.Vms.Single();
            Assert.Equal((vm, MacAddress.Parse(mac)), (offered.Name, offered.Nics.Single().Mac));
            Assert.True(info.Load >= 0);
        }
    }

    private async Task<int> ProtocolOn(string host) =>
        (await Session.ReplyAsync<HostLinks>(host, GetHostLinks.Instance)).Links.Single(l => l.Link.Id == "l1").Link.Protocol;
}

/// <summary>Bringing a lab up and down leaves nothing behind.</summary>
public sealed class LabLifecycleTests
{
    [Fact]
    public async Task Lab_down_leaves_no_namespace_process_or_state_behind()
    {
        var session = await LabSession.UpAsync("two-hosts");
        var prefix = session.State.Prefix;
        var pids = session.State.Processes.Select(p => p.Pid).ToList();
        var dir = session.State.Directory;
        Assert.All(pids, pid => Assert.True(Shell.Alive(pid), $"vnetd {pid} is not running after lab up"));
        Assert.Equal(5, Shell.Namespaces().Count(n => n.StartsWith(prefix, StringComparison.Ordinal)));

        await session.DisposeAsync();

        Assert.DoesNotContain(Shell.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
        Assert.All(pids, pid => Assert.False(Shell.Alive(pid), $"process {pid} survived lab down"));
        Assert.False(Directory.Exists(dir), $"{dir} survived lab down");
        var strays = Shell.Run("pgrep", ["-f", $"{dir}/"], check: false).Output.Trim();
        Assert.True(strays.Length == 0, $"processes still refer to the lab: {strays}");
    }

    [Fact]
    public async Task A_second_lab_with_the_same_prefix_is_refused_and_the_first_is_untouched()
    {
        await using var session = await LabSession.UpAsync("two-hosts");
        var lab = session.Lab;
        var e = await Assert.ThrowsAsync<ShellException>(() => new LabRunner(TextWriter.Null).UpAsync(lab, new LabOptions { Prefix = session.State.Prefix }));
        Assert.Contains("already up", e.Message);
        var ping = Measurements.Ping(session.Ns("vm1"), "10.250.0.2", count: 2);
        Assert.Equal(2, ping.Received);
    }
}
