using System.Globalization;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Host.Console;
using VNet.Host.Labs;

namespace VNet.Host.Demo;

/// <summary>
/// <c>vnet demo</c>: builds labs/two-hosts, shows the cluster and the link with its negotiated
/// protocol number, measures ping and a 5-second iperf3 TCP run VM→VM through the link and the
/// substrate host→host beside it, prints a result table and tears the lab down — also on Ctrl-C
/// and on failure (then the exit code is non-zero).
/// </summary>
public static class DemoRunner
{
    /// <summary>The demo's namespace prefix (never the same as tests or benchmarks).</summary>
    public const string Prefix = "vn-demo-";

    /// <summary>What the demo does, for <c>vnet demo --help</c>.</summary>
    public const string Description = """
        Builds labs/two-hosts (two vnetd hosts behind a router, one VM each), shows the cluster and the
        link with its negotiated protocol number, measures ping and iperf3 TCP VM to VM through the link
        and host to host beside it, prints the results and tears everything down (also on Ctrl-C).
        """;

    /// <summary>
    /// Runs the demo: <paramref name="seconds"/> per iperf3 run, namespaces named with
    /// <paramref name="prefix"/> (checked by the command line: lowercase letters, digits, '-', ending in '-').
    /// </summary>
    public static async Task<int> RunAsync(double seconds, string prefix, TextWriter output)
    {
        var lab = LabFile.Load(Cli.ResolveLabFile("two-hosts"));
        var runner = new LabRunner(output);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            output.WriteLine("interrupted: tearing the lab down");
            cancel.Cancel();
        };
        System.Console.CancelKeyPress += onCancel;
        LabState? state = null;
        try
        {
            output.WriteLine($"== VNet demo: {lab.File}");
            state = await runner.UpAsync(lab, new LabOptions { Prefix = prefix }, cancel.Token);
            await using (var console = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(state.Hosts[0].Socket), cancel: cancel.Token))
            {
                output.WriteLine();
                await Show(console, "cluster", "show", output, cancel.Token);
                output.WriteLine();
                await Show(console, "link", "show", output, cancel.Token);
            }
            string vm1 = prefix + "vm1", vm2 = prefix + "vm2", h1 = prefix + "h1", h2 = prefix + "h2";
            var vm2Address = lab.Vms.First(v => v.Name == "vm2").Address!.ToString();
            output.WriteLine();
            output.WriteLine($"ping vm1 -> vm2 ({vm2Address}) ...");
            Measurements.Ping(vm1, vm2Address, count: 1); // ARP first: the table shows the link, not neighbour discovery
            var ping = Measurements.Ping(vm1, vm2Address, count: 10);
            if (ping.Received == 0) throw new ShellException($"vm1 cannot ping vm2 through the link ({ping.Sent} sent, none answered)");
            cancel.Token.ThrowIfCancellationRequested();
            output.WriteLine($"iperf3 TCP vm1 -> vm2, {seconds} s ...");
            var tcp = Measurements.Iperf(vm2, vm1, vm2Address, seconds, logDirectory: state.Directory);
            cancel.Token.ThrowIfCancellationRequested();
            var h2Address = lab.Hosts.First(h => h.Name == "h2").Address.ToString();
            output.WriteLine($"iperf3 TCP h1 -> h2 (the substrate, for comparison), {seconds} s ...");
            var substrate = Measurements.Iperf(h2, h1, h2Address, seconds, logDirectory: state.Directory, port: 5202);
            await using (var console = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(state.Hosts[0].Socket), cancel: cancel.Token))
            {
                output.WriteLine();
                await Show(console, "link", "stats", output, cancel.Token);
            }
            output.WriteLine();
            TableRenderer.WriteTable(new ConsoleLine.Table("demo results", ["measurement", "value"],
            [
                ["ping vm1->vm2 (avg / mdev)", $"{ping.AvgMs:0.000} / {ping.MdevMs:0.000} ms, {ping.Received}/{ping.Sent} answered"],
                ["iperf3 TCP vm1->vm2 through the link", $"{tcp.ReceivedBitsPerSecond / 1e6:0} Mbit/s ({tcp.Retransmits} retransmits)"],
                ["iperf3 TCP h1->h2 on the substrate", $"{substrate.ReceivedBitsPerSecond / 1e6:0} Mbit/s"],
                ["link / substrate", $"{tcp.ReceivedBitsPerSecond / substrate.ReceivedBitsPerSecond:0.000}"],
            ]), output);
            if (tcp.ReceivedBitsPerSecond <= 0) throw new ShellException("iperf3 moved no data through the link");
            return 0;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (ShellException e)
        {
            await System.Console.Error.WriteLineAsync($"demo failed: {e.Message}");
            return 1;
        }
        catch (CommandException e)
        {
            await System.Console.Error.WriteLineAsync($"demo failed: {e.Message}");
            return 1;
        }
        finally
        {
            System.Console.CancelKeyPress -= onCancel;
            if (state is not null)
            {
                output.WriteLine();
                runner.Down(LabState.Read(state.Id) ?? state);
            }
        }
    }

    private static async Task Show(ConsoleConnection console, string palette, string command, TextWriter output, CancellationToken cancel)
    {
        var (lines, end) = await console.RunToEndAsync(console.Request(palette, command), cancel);
        foreach (var line in lines) TableRenderer.Write(line, output, System.Console.Error);
        if (end.Exit != 0) throw new CommandException($"{palette} {command}: {end.Error}");
    }
}
