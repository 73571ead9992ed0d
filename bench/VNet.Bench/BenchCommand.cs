using System.Globalization;
using System.Runtime.InteropServices;
using VNet.Actors.Commands;
using VNet.Client;
using VNet.Actors.Networks;
using VNet.Bench.Contenders;
using VNet.Bench.Lab;
using VNet.Bench.Measuring;
using VNet.Bench.Results;
using VNet.Host.Labs;

namespace VNet.Bench;

/// <summary>
/// <c>./vnet bench</c>: builds the benchmark lab once, measures every contender on it one after the
/// other, tears everything down (also on Ctrl-C, SIGTERM and failure) and writes the report, the
/// plots and the raw JSON to bench/results/.
/// </summary>
public static class BenchCommand
{
    /// <summary>Runs the benchmark; exit 0 when every contender was attempted, 1 on failure, 130 when interrupted.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var output = System.Console.Out;
        BenchSettings settings;
        List<Contender> contenders;
        if (args is ["--help" or "-h"])
        {
            output.WriteLine(BenchSettings.Usage);
            return 0;
        }
        if (args.Contains("--scale")) return await Scale.ScaleBench.RunAsync(args, output);
        try
        {
            settings = BenchSettings.Parse(args);
            if (settings.FromJson is { } from)
            {
                var saved = BenchResult.FromJson(File.ReadAllText(from));
                Write(saved, Path.GetDirectoryName(Path.GetFullPath(from))!, Path.GetFileNameWithoutExtension(from), output, json: false);
                return 0;
            }
            contenders = ContenderCatalog.Select(settings);
        }
        catch (ArgumentException e)
        {
            await System.Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        if (Environment.UserName != "root")
        {
            await System.Console.Error.WriteLineAsync("bench: needs root (network namespaces, raw sockets, packet capture); run `sudo ./vnet bench`");
            return 1;
        }

        using var cancel = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            if (cancel.IsCancellationRequested) return;
            output.WriteLine();
            output.WriteLine($"{context.Signal}: stopping the current test and tearing everything down ...");
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Interrupt);

        var started = DateTime.UtcNow;
        var results = new List<ContenderResult>();
        BenchConfig? config = null;
        BenchLab? lab = null;
        string? failure = null;
        output.WriteLine($"== VNet benchmark ({settings.Mode}): {contenders.Count} contender(s): {string.Join(", ", contenders.Select(c => c.Name))}");
        var planned = contenders.Select(c => ContenderMeasurement.Estimate(c, settings)).ToList();
        output.WriteLine($"planned: about {Progress.Format(TimeSpan.FromSeconds(planned.Sum() + 30))} after the lab is up");
        // iperf3 -w is capped by net.core.rmem_max (208 KiB on a fresh machine): raised for the run, put back after.
        const string rmemMax = "/proc/sys/net/core/rmem_max";
        var rmemBefore = File.ReadAllText(rmemMax).Trim();
        var raiseRmem = settings.UdpSocketBufferBytes > 0 && long.TryParse(rmemBefore, out var rmemValue) && rmemValue < settings.UdpSocketBufferBytes;
        if (raiseRmem) File.WriteAllText(rmemMax, settings.UdpSocketBufferBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            lab = await BenchLab.UpAsync(settings.LabFile, settings.LabId, output, cancel.Token);
            config = Describe(settings, lab, started, await BackgroundBusyCoresAsync(cancel.Token));
            var progress = new Progress(output, planned);
            var measurement = new ContenderMeasurement(lab, settings, progress);
            for (var i = 0; i < contenders.Count; i++)
            {
                progress.StartContender(i, contenders[i].Name, contenders[i].Description);
                results.Add(await measurement.MeasureAsync(contenders[i], cancel.Token));
            }
        }
        catch (OperationCanceledException)
        {
            failure = "interrupted";
        }
        catch (Exception e) when (e is ShellException or CommandException or NetworkFileException or IOException)
        {
            failure = e is NetworkFileException nf ? string.Join("; ", nf.Problems) : e.Message;
            await System.Console.Error.WriteLineAsync($"bench failed: {failure}");
        }
        catch (Exception e)
        {
            // Anything unexpected still ends with the lab torn down and what was measured written out.
            failure = $"{e.GetType().Name}: {e.Message}";
            await System.Console.Error.WriteLineAsync($"bench failed: {e}");
        }
        finally
        {
            if (raiseRmem) File.WriteAllText(rmemMax, rmemBefore);
            if (lab is not null)
            {
                output.WriteLine();
                var logs = lab.SaveLogs(Path.Combine(".run", "bench-logs"));
                if (logs is not null) output.WriteLine($"logs of vnetd, tincd, openvpn and iperf3 servers: {logs}");
                lab.Down();
            }
        }

        if (config is not null && results.Count > 0)
        {
            var mode = failure is null ? settings.Mode : $"{settings.Mode}, incomplete: {failure}";
            var run = new BenchResult(config with { Mode = mode, EndedUtc = DateTime.UtcNow }, results);
            Directory.CreateDirectory(settings.OutputDirectory);
            Write(run, settings.OutputDirectory, Stem(settings, started, failure is not null), output, json: true);
        }
        return failure is null ? 0 : failure == "interrupted" ? 130 : 1;
    }

    private static void Write(BenchResult run, string directory, string stem, TextWriter output, bool json)
    {
        if (json) File.WriteAllText(Path.Combine(directory, stem + ".json"), run.ToJson());
        PlotFiles? plots = null;
        try
        {
            plots = Plots.Write(run, directory, stem);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException)
        {
            output.WriteLine($"plots could not be drawn: {e.Message}");
        }
        var report = MarkdownReport.Render(run, plots);
        var path = Path.Combine(directory, stem + ".md");
        File.WriteAllText(path, report);
        output.WriteLine();
        var cut = report.IndexOf("## Per contender", StringComparison.Ordinal);
        output.WriteLine(cut > 0 ? report[..cut] : report);
        output.WriteLine($"report: {path}");
        if (plots is not null) output.WriteLine($"plots:  {string.Join(", ", new[] { plots.Tcp, plots.UdpAchieved, plots.UdpLoss }.Select(p => Path.Combine(directory, p)))}");
        if (json) output.WriteLine($"raw:    {Path.Combine(directory, stem + ".json")}");
    }

    /// <summary>2026-11-30 for a full run (with the time when that name is taken), 2026-11-30-quick etc. otherwise.</summary>
    private static string Stem(BenchSettings s, DateTime started, bool incomplete)
    {
        var stem = started.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (s.Mode != "full") stem += "-" + s.Mode;
        if (incomplete) stem += "-incomplete";
        if (File.Exists(Path.Combine(s.OutputDirectory, stem + ".md"))) stem += started.ToString("-HHmm", CultureInfo.InvariantCulture);
        return stem;
    }

    private static async Task<double> BackgroundBusyCoresAsync(CancellationToken cancel)
    {
        var (busy0, total0) = CpuProbes.SystemTicks();
        await Task.Delay(TimeSpan.FromSeconds(3), cancel);
        var (busy1, total1) = CpuProbes.SystemTicks();
        return total1 == total0 ? 0 : (double)(busy1 - busy0) / (total1 - total0) * Environment.ProcessorCount;
    }

    private static BenchConfig Describe(BenchSettings s, BenchLab lab, DateTime started, double background)
    {
        string First(string file, params string[] args)
        {
            var r = Shell.Run(file, args, check: false);
            return r.Exit == 0 || r.Output.Length > 0 ? r.Output.Split('\n')[0].Trim() : $"{file}: not installed";
        }
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var commit = Shell.Run("git", ["-c", "safe.directory=*", "rev-parse", "--short", "HEAD"], check: false);
        var dirty = Shell.Run("git", ["-c", "safe.directory=*", "status", "--porcelain", "--untracked-files=no"], check: false);
        return new BenchConfig
        {
            Mode = s.Mode,
            StartedUtc = started,
            Machine = $"Linux {First("uname", "-r")}, {Environment.ProcessorCount} CPUs, {model}",
            Commit = commit.Exit == 0 ? commit.Output.Trim() + (dirty.Output.Trim().Length > 0 ? " (with uncommitted changes)" : "") : "unknown",
            Versions = new()
            {
                ["iperf3"] = First("iperf3", "--version"),
                ["tinc"] = First("tincd", "--version"),
                ["OpenVPN"] = string.Join(' ', First("openvpn", "--version").Split(' ').Take(2)),
                ["OpenSSL"] = First("openssl", "version"),
            },
            VmMtu = s.VmMtu,
            Offloads = s.Offloads,
            UdpSocketBufferBytes = s.UdpSocketBufferBytes,
            RmemMax = long.TryParse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), out var rmem) ? rmem : 0,
            SubstrateMtu = BenchLab.Mtu(lab.Ns(lab.Host1), "eth0"),
            TcpRuns = s.TcpRuns,
            TcpSeconds = s.TcpSeconds,
            UdpRates = [.. s.UdpRates],
            UdpRuns = s.UdpRuns,
            UdpSeconds = s.UdpSeconds,
            PpsRuns = s.PpsRuns,
            PpsSeconds = s.PpsSeconds,
            PpsPayload = s.PpsPayload,
            PpsOfferedBitsPerSecond = s.PpsOfferedBitsPerSecond,
            PingCount = s.PingCount,
            PingInterval = s.PingInterval,
            BackgroundBusyCores = background,
            LoadAverage = File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b),
            LabId = lab.Id,
        };
    }
}
