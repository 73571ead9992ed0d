using System.Diagnostics;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Labs;

/// <summary>
/// The lab verbs an operator uses to look at a running lab, run as the real `vnet` binary:
/// inspect shows every node alive with its addresses, pingall pings across the link, and a killed
/// vnetd shows in inspect.
/// </summary>
public sealed class LabVerbsTests
{
    private static async Task<(int Exit, string Output, string Error)> Vnet(params string[] args)
    {
        var bin = Environment.GetEnvironmentVariable("VNET_HOST_BIN") is { Length: > 0 } b ? b : Path.Combine(LabSession.RepoRoot, ".run", "bin", "VNet.Host");
        var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Inspect_and_pingall_show_a_running_lab_and_a_killed_host()
    {
        await using var lab = await LabSession.UpAsync("two-hosts");
        var id = lab.State.Id;

        var (exit, output, error) = await Vnet("lab", "inspect", "-L", id);
        Assert.True(exit == 0, $"lab inspect: exit {exit}\n{output}\n{error}");
        var rows = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 4).ToList();
        foreach (var (node, kind) in new[] { ("r", "router"), ("h1", "host"), ("h2", "host"), ("vm1", "vm"), ("vm2", "vm") })
        {
            var row = rows.FirstOrDefault(w => w[0] == node);
            Assert.True(row is not null, $"no row for {node}:\n{output}");
            Assert.Equal(kind, row![1]);
            Assert.Equal(lab.Ns(node), row[2]);
            Assert.Contains("yes", row);
        }
        Assert.Contains("192.0.2.10/24 (eth0)", output);
        Assert.Contains("10.250.0.2/24 (eth0)", output);
        var vm1 = rows.First(w => w[0] == "vm1");
        Assert.Equal("l1", vm1[^1]);

        (exit, output, error) = await Vnet("lab", "pingall", "-L", id, "--count", "2");
        Assert.True(exit == 0, $"lab pingall: exit {exit}\n{output}\n{error}");
        Assert.Contains("2 pair(s), every one answered", output);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("vm1") && l.Contains("10.250.0.2") && l.Contains("l1") && l.Contains("2/2"));

        (exit, output, _) = await Vnet("lab", "pingall", "-L");
        Assert.Equal(2, exit);

        lab.Kill("h2");
        (exit, output, _) = await Vnet("lab", "inspect", "-L", id);
        Assert.Equal(1, exit);
        var h2 = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(w => w.Length > 4 && w[0] == "h2");
        Assert.Contains("NO", h2);
    }

    [Fact]
    public async Task An_interface_mtu_in_the_lab_file_is_set_on_the_interface()
    {
        var xml = File.ReadAllText(Path.Combine(LabSession.RepoRoot, "labs", "two-hosts.xml"))
            .Replace("subnet=\"a\" address=\"192.0.2.1/24\"", "subnet=\"a\" address=\"192.0.2.1/24\" mtu=\"9000\"")
            .Replace("subnet=\"a\" address=\"192.0.2.10/24\"", "subnet=\"a\" address=\"192.0.2.10/24\" mtu=\"9000\"");
        var definition = LabFile.Parse(xml, "two-hosts-jumbo.xml");
        await using var lab = await LabSession.UpAsync(definition, new LabOptions { CreateLinks = false });
        Assert.Contains("mtu 9000", Shell.Ip("-n", lab.Ns("h1"), "link", "show", "eth0").Output);
        Assert.Contains("mtu 9000", Shell.Ip("-n", lab.Ns("r"), "link", "show", "to-h1").Output);
        Assert.Contains("mtu 1500", Shell.Ip("-n", lab.Ns("h2"), "link", "show", "eth0").Output);
        // 8972 bytes of ICMP payload + 28 of headers fill the 9000-byte MTU without fragmenting.
        Assert.Equal(2, Measurements.Ping(lab.Ns("h1"), "192.0.2.1", count: 2, size: 8972, dontFragment: true).Received);
    }
}
