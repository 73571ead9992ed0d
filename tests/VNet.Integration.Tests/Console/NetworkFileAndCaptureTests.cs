using VNet.Host.Console;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Console;

/// <summary>Network files move between labs; link captures show both directions.</summary>
public sealed class NetworkFileAndCaptureTests
{
    private static async Task<(int Exit, string Out, string Err)> Vnet(LabSession lab, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ConsoleClient.RunAsync(["-S", lab.State.Hosts[0].Socket, .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_network_saved_in_one_lab_loads_in_a_lab_with_other_host_addresses_and_saves_the_same()
    {
        var first = Path.Combine(Path.GetTempPath(), $"vnet-net-{Guid.NewGuid():N}.xml");
        var second = Path.Combine(Path.GetTempPath(), $"vnet-net-{Guid.NewGuid():N}.xml");
        try
        {
            await using (var a = await LabSession.UpAsync("two-hosts"))
            {
                Assert.Equal(0, (await Vnet(a, "link", "set", "--id", "l1", "--bandwidth", "200M", "--delay", "1", "--compression", "lz4", "--dscp", "10")).Exit);
                var saved = await Vnet(a, "net", "save", "--file", first);
                Assert.True(saved.Exit == 0, saved.Err);
            }
            // The same hosts and VMs on other substrate addresses (and another router), no links.
            var xml = File.ReadAllText(Path.Combine(LabSession.RepoRoot, "labs", "two-hosts.xml"))
                .Replace("192.0.2.", "203.0.113.").Replace("<lab name=\"two-hosts\">", "<lab name=\"two-hosts-b\">");
            xml = xml[..xml.IndexOf("<network>", StringComparison.Ordinal)] + "</lab>";
            var other = LabFile.Parse(xml, "two-hosts-b.xml");
            Assert.Equal("203.0.113.10", other.Hosts[0].Address.ToString());
            await using var b = await LabSession.UpAsync(other);
            var loaded = await Vnet(b, "net", "load", "--file", first);
            Assert.True(loaded.Exit == 0, loaded.Err);
            Assert.Equal(3, Measurements.Ping(b.Ns("vm1"), "10.250.0.2", count: 3).Received);
            var resaved = await Vnet(b, "net", "save", "--file", second);
            Assert.True(resaved.Exit == 0, resaved.Err);
            Assert.Equal(File.ReadAllText(first), File.ReadAllText(second));
            Assert.Contains("bandwidth=\"200M\"", File.ReadAllText(second));
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    [Fact]
    public async Task A_capture_of_a_ping_read_back_with_tcpdump_shows_both_directions()
    {
        await using var lab = await LabSession.UpAsync("two-hosts");
        var file = Path.Combine(lab.State.Directory, "l1.pcap");
        var capture = Task.Run(() => Vnet(lab, "link", "capture", "--id", "l1", "--file", file, "--seconds", "3", "--filter", "icmp"));
        await Task.Delay(1000);
        Measurements.Ping(lab.Ns("vm1"), "10.250.0.2", count: 3);
        var result = await capture;
        Assert.True(result.Exit == 0, result.Err);
        var read = Shell.Run("tcpdump", ["-n", "-r", file], check: false);
        var lines = read.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Count(l => l.Contains("10.250.0.1 > 10.250.0.2: ICMP echo request")));
        Assert.Equal(3, lines.Count(l => l.Contains("10.250.0.2 > 10.250.0.1: ICMP echo reply")));
    }
}
