using System.Diagnostics;
using System.Text.Json.Nodes;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;
using Xunit.Abstractions;

namespace VNet.Integration.Tests.Links;

/// <summary>
/// A VM's interface deleted and made again (a VM destroyed and started, a NIC hot-unplugged): while
/// it is gone, the link says it waits for that interface and the host's other links keep
/// forwarding; when it is back, both directions work again without a command.
/// </summary>
public sealed class InterfaceReturnTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public async Task A_vm_interface_that_vanishes_and_returns_carries_traffic_again_both_ways(int outageSeconds)
    {
        await using var session = await LabSession.UpAsync("chain");
        Assert.Equal(3, Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 3).Received);
        var vm3 = session.Lab.Vms.Single(v => v.Name == "vm3");

        Shell.Ip("-n", session.Ns("h3"), "link", "del", "vm3"); // its peer eth0 in vm3's namespace goes with it
        var gone = Stopwatch.StartNew();
        JsonNode l1 = null!;
        await session.WaitUntilAsync(async () =>
        {
            l1 = (await session.CommandAsync("h1", "link", "show", new() { ["id"] = "l1" })).AsArray().Single()!;
            return l1["detail"]?.GetValue<string>().Contains("waiting for interface vm3 on h3") == true;
        }, TimeSpan.FromSeconds(15), "link show saying l1 waits for vm3's interface");
        Assert.Equal("restarting", l1["status"]!.GetValue<string>());
        // The host's other link is not disturbed.
        Assert.Equal(3, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 3, interval: 0.2).Received);

        var rest = TimeSpan.FromSeconds(outageSeconds) - gone.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        // Still waiting, not restarting in a loop or failed.
        var during = (await session.CommandAsync("h1", "link", "show", new() { ["id"] = "l1" })).AsArray().Single()!;
        Assert.Contains("waiting for interface vm3", during["detail"]!.GetValue<string>());

        LabRunner.WireVm(vm3, session.State.Prefix);
        var back = Stopwatch.StartNew();
        var mtu = l1["vmMtu"]?.GetValue<int>() ?? 1426;
        Shell.Ip("-n", session.Ns("vm3"), "link", "set", "eth0", "mtu", mtu.ToString());
        Shell.Ip("-n", session.Ns("h3"), "link", "set", "vm3", "mtu", mtu.ToString());
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 again");
        var forwarding = back.Elapsed;
        Assert.Equal(3, Measurements.Ping(session.Ns("vm3"), "10.250.0.1", count: 3, interval: 0.2).Received);
        await session.WaitUntilAsync(async () =>
        {
            var link = (await session.CommandAsync("h1", "link", "show", new() { ["id"] = "l1" })).AsArray().Single()!;
            return link["status"]!.GetValue<string>() == "established";
        }, TimeSpan.FromSeconds(15), "l1 established again");
        output.WriteLine($"vm3's interface gone {outageSeconds} s: ping through l1 again {forwarding.TotalSeconds:0.0} s after it was back");
    }

    [Fact]
    public async Task A_failed_worker_restarts_alone_while_the_hosts_other_link_keeps_forwarding()
    {
        await using var session = await LabSession.UpAsync("chain");
        // vm3's port set down under the capture: its socket fails (ENETDOWN), the interface still exists.
        Shell.Ip("-n", session.Ns("h3"), "link", "set", "vm3", "down");
        await session.WaitUntilAsync(async () =>
        {
            var l1 = (await session.CommandAsync("h1", "link", "show", new() { ["id"] = "l1" })).AsArray().Single()!;
            return l1["status"]!.GetValue<string>() == "restarting";
        }, TimeSpan.FromSeconds(15), "l1 restarting its worker on h3");
        // l2 (vm2 ~ vm4) runs on h3 too and is not disturbed.
        Assert.Equal(5, Measurements.Ping(session.Ns("vm2"), "10.250.0.4", count: 5, interval: 0.2).Received);
        Shell.Ip("-n", session.Ns("h3"), "link", "set", "vm3", "up");
        var up = Stopwatch.StartNew();
        await session.WaitUntilAsync(() => Task.FromResult(Measurements.Ping(session.Ns("vm1"), "10.250.0.3", count: 1, interval: 0.2).Received == 1),
            TimeSpan.FromSeconds(30), "vm1 reaching vm3 again");
        await session.WaitUntilAsync(async () =>
        {
            var l1 = (await session.CommandAsync("h1", "link", "show", new() { ["id"] = "l1" })).AsArray().Single()!;
            return l1["status"]!.GetValue<string>() == "established";
        }, TimeSpan.FromSeconds(15), "l1 established again");
        // The worker restarted inside the link on h3 (its supervisor logged the failure).
        var log = System.IO.File.ReadAllText(session.State.Processes.Single(p => p.Name == "vnetd-h3").Log);
        Assert.Contains("link l1: vm-capture failed", log);
        output.WriteLine($"vm3's port down then up: ping through l1 again {up.Elapsed.TotalSeconds:0.0} s after it was up");
    }
}
