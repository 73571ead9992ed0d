using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using VNet.Capture.Ports;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using VNet.Messages;
using VNet.Messages.Commands;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// A link survives its VM interface vanishing and coming back: while the host-side veth is gone the
/// link says it waits for it; once it is recreated (as `lab up` creates it) the link resumes both
/// directions by itself, with the port isolated again and the MTU it had. A worker that fails for
/// another reason is restarted alone, while the host's other links keep forwarding.
/// </summary>
public sealed class InterfaceReturnTests(ITestOutputHelper output)
{
    private const string Vm1Ip = "10.250.0.1", Vm2Ip = "10.250.0.2";

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public async Task A_vm_interface_that_vanishes_and_comes_back_resumes_its_link(int outageSeconds)
    {
        await using var session = await LabSession.UpAsync("two-hosts");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), Vm2Ip, count: 3).Received);
        var vmMtu = await session.VmMtuAsync(await session.LinkAsync("l1"));
        // More capsules from h2 than a replay window holds (1024): an end that started its sequence
        // again after the interface came back would have every capsule refused by h1 as a replay.
        var flood = Measurements.ParsePing(session.Exec("vm2", "ping", "-n", "-q", "-f", "-c", "1500", "-W", "1", Vm1Ip).Output);
        Assert.True(flood.Received >= 1400, $"flood before the outage: {flood.Received}/{flood.Sent}");

        var gone = Stopwatch.StartNew();
        Shell.Ip("-n", session.Ns("h2"), "link", "del", "vm2"); // its peer, eth0 in vm2's namespace, goes with it
        LinkState link = null!;
        await session.WaitUntilAsync(async () =>
        {
            link = await session.LinkAsync("l1");
            return link.Ends.Any(e => e.Status == LinkStatus.Waiting);
        }, TimeSpan.FromSeconds(15), "link l1 waiting for vm2's interface");
        Assert.Equal("waiting for interface vm2 on h2", link.Detail);
        output.WriteLine($"outage {outageSeconds} s: link shown waiting {gone.Elapsed.TotalSeconds:0.00} s after the deletion");

        var rest = TimeSpan.FromSeconds(outageSeconds) - gone.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        link = await session.LinkAsync("l1");
        Assert.Contains(link.Ends, e => e.Status == LinkStatus.Waiting); // still waiting: no restart loop, no failure

        var back = Stopwatch.StartNew(); // from the first command that recreates it
        RecreateVm(session, "vm2", vmMtu);
        double? firstAnswer = null;
        while (back.Elapsed < TimeSpan.FromSeconds(30) && firstAnswer is null)
            if (Measurements.Ping(session.Ns("vm1"), Vm2Ip, count: 1, interval: 0.2).Received == 1) firstAnswer = back.Elapsed.TotalSeconds;
        output.WriteLine($"outage {outageSeconds} s: first ping answer {firstAnswer?.ToString("0.00", CultureInfo.InvariantCulture) ?? "none"} s after the interface was back");
        Assert.True(firstAnswer is not null, $"vm1 does not reach vm2 30 s after its interface came back{Environment.NewLine}{session.Logs()}");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), Vm2Ip, count: 3).Received);
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), Vm1Ip, count: 3).Received);

        await session.WaitUntilAsync(async () =>
            (await session.LinkAsync("l1")).Phase == LinkPhase.Established,
            TimeSpan.FromSeconds(10), "link l1 established again");
        // vnetd gave the new interface the MTU the old one had, and isolated the port again.
        var hostSide = JsonNode.Parse(Shell.Ip("-n", session.Ns("h2"), "-j", "link", "show", "vm2").Output)!.AsArray().Single()!;
        Assert.Equal(vmMtu, hostSide["mtu"]!.GetValue<int>());
        var tables = Shell.InNetns(session.Ns("h2"), ["nft", "list", "tables", "netdev"], check: false).Output;
        Assert.Contains(VmPortRules.TableName("vm2"), tables);
        Assert.Equal("8", Shell.InNetns(session.Ns("h2"), ["sysctl", "-n", "net.ipv4.conf.vm2.arp_ignore"]).Output.Trim()); // a new interface starts at 0
        // It waited instead of restarting in a loop: a few restarts at most, before the watch said the interface was gone.
        var restarts = File.ReadAllLines(session.State.Processes.First(p => p.Name == "vnetd-h2").Log).Count(l => l.Contains("link l1:", StringComparison.Ordinal) && l.Contains("(restart ", StringComparison.Ordinal));
        output.WriteLine($"outage {outageSeconds} s: {restarts} worker restart(s) on h2");
        Assert.InRange(restarts, 0, 3);
    }

    [Fact]
    public async Task An_interface_away_past_the_limit_fails_the_link_and_the_topology_manager_makes_it_again_once_it_is_back()
    {
        await using var session = await LabSession.UpAsync("two-hosts", new LabOptions { ExtraConfig = "vnet.host.interface-wait = 3s" });
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), Vm2Ip, count: 3).Received);
        var vmMtu = await session.VmMtuAsync(await session.LinkAsync("l1"));

        Shell.Ip("-n", session.Ns("h2"), "link", "del", "vm2");
        LinkState link = null!;
        await session.WaitUntilAsync(async () =>
        {
            link = await session.LinkAsync("l1");
            return link.Phase is LinkPhase.BackingOff or LinkPhase.Failed;
        }, TimeSpan.FromSeconds(20), "link l1 failed after 3 s without its interface");
        Assert.Contains("interface vm2 on h2 was absent for 3 s", link.Detail);

        var back = Stopwatch.StartNew();
        RecreateVm(session, "vm2", vmMtu);
        // The host offers vm2 again in its next announcement; the manager's retry (back-off up to 30 s) makes the link anew.
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), Vm2Ip, count: 1).Received == 1),
            TimeSpan.FromSeconds(60), "vm1 reaching vm2 through the re-made l1");
        output.WriteLine($"failed link re-made and answering {back.Elapsed.TotalSeconds:0.0} s after the interface was back");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), Vm1Ip, count: 3).Received);
    }

    [Fact]
    public async Task A_failed_worker_restarts_alone_while_the_other_links_of_its_host_keep_forwarding()
    {
        // chain: l1 vm1@h1 ~ vm3@h3 and l2 vm2@h2 ~ vm4@h3; both links end on h3.
        await using var session = await LabSession.UpAsync("chain");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 3).Received);
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3).Received);

        // Taking vm3's port down fails l1's capture socket on h3 (ENETDOWN): a socket error, not a vanished interface.
        var meanwhile = Task.Run(() => Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 25, interval: 0.2));
        await Task.Delay(500);
        Shell.Ip("-n", session.Ns("h3"), "link", "set", "vm3", "down");
        await Task.Delay(2000);
        Shell.Ip("-n", session.Ns("h3"), "link", "set", "vm3", "up");
        var other = await meanwhile;
        Assert.True(other.Received >= other.Sent - 1, $"l2 lost {other.Sent - other.Received}/{other.Sent} pings while l1's worker restarted{Environment.NewLine}{session.Logs()}");

        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 again through l1");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm3"), Vm1Ip, count: 3).Received);
        await session.WaitUntilAsync(async () =>
            (await session.LinkAsync("l1")).Phase == LinkPhase.Established,
            TimeSpan.FromSeconds(10), "link l1 established again");
        var log = File.ReadAllText(session.State.Processes.First(p => p.Name == "vnetd-h3").Log);
        Assert.Contains("vm-capture failed", log); // it was restarted, not left alone
        Assert.DoesNotContain(log.Split('\n'), l => l.Contains("link l2:", StringComparison.Ordinal) && l.Contains("restart", StringComparison.Ordinal));
    }

    /// <summary>Recreates VM <paramref name="vm"/>'s veth pair as `lab up` does; the VM's NIC gets the link MTU, the host side is left at the kernel's default for vnetd to set back.</summary>
    private static void RecreateVm(LabSession session, string vm, int mtu)
    {
        LabRunner.WireVm(session.Lab.Vms.First(v => v.Name == vm), session.State.Prefix);
        Shell.Ip("-n", session.Ns(vm), "link", "set", "eth0", "mtu", mtu.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task While_a_link_waits_for_its_interface_the_hosts_other_link_keeps_forwarding()
    {
        // chain: l1 vm1@h1 ~ vm3@h3 and l2 vm2@h2 ~ vm4@h3.
        await using var session = await LabSession.UpAsync("chain");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 3).Received);
        var mtu = await session.VmMtuAsync(await session.LinkAsync("l1"));

        Shell.Ip("-n", session.Ns("h3"), "link", "del", "vm3");
        await session.WaitUntilAsync(async () =>
        {
            var l1 = await session.LinkAsync("l1");
            return l1.Ends.Any(e => e.Status == LinkStatus.Waiting) && l1.Detail == "waiting for interface vm3 on h3";
        }, TimeSpan.FromSeconds(15), "link show saying l1 waits for vm3's interface");
        Assert.Equal(5, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 5, interval: 0.2).Received);

        RecreateVm(session, "vm3", mtu);
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 again");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm3"), Vm1Ip, count: 3).Received);
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3).Received);
    }
}
