using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SkiaSharp;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Experiments;

/// <summary>
/// The real <c>vnet</c> binary (VNET_HOST_BIN, else the built VNet.Host) or another program run as a
/// process, its output collected line by line; killed on dispose if it still runs.
/// </summary>
public sealed class ExperimentProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private ExperimentProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the process printed so far.</summary>
    public string Output => string.Join(Environment.NewLine, _lines);

    /// <summary>Starts <c>vnet ARGS</c> in the repository root.</summary>
    public static ExperimentProcess Vnet(params string[] args) => Start(LabRunner.DaemonCommand(), args);

    /// <summary>Starts <paramref name="command"/> with <paramref name="args"/> in the repository root.</summary>
    public static ExperimentProcess Start(IReadOnlyList<string> command, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = LabSession.RepoRoot };
        foreach (var a in command.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        return new ExperimentProcess(Process.Start(psi)!);
    }

    /// <summary>Waits until a line containing <paramref name="text"/> was printed; fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.False(_process.HasExited, $"the process exited (code {(_process.HasExited ? _process.ExitCode : 0)}) before printing '{text}':\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"no line with '{text}' within {timeout.TotalSeconds:0} s:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C does.</summary>
    public void Interrupt() => Shell.Run("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Waits for the exit; fails the test after <paramref name="timeout"/>. Returns the exit code.</summary>
    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the process did not exit within {timeout.TotalSeconds:0} s:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    /// <summary>A fresh lab prefix of this test suite's experiments: "ex" + 4 hex digits + "-".</summary>
    public static string NewPrefix() => $"ex{Random.Shared.Next(0x10000):x4}-";

    /// <summary>A new, empty results directory under the temp folder.</summary>
    public static string NewResultsDirectory() => Path.Combine(Path.GetTempPath(), $"vnet-experiment-{Guid.NewGuid():N}");

    /// <summary>Asserts that <paramref name="path"/> is a PNG image that decodes to the plots' size.</summary>
    public static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} has no PNG signature");
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal(1100, bitmap.Width);
        Assert.Equal(550, bitmap.Height);
    }

    /// <summary>The rows of a results CSV as (t, cells by column name).</summary>
    public static List<(double T, Dictionary<string, string> Cells)> Csv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(c => (double.Parse(c[0], CultureInfo.InvariantCulture), header.Skip(1).Select((h, i) => (h, c[i + 1])).ToDictionary(p => p.h, p => p.Item2)))];
    }

    /// <summary>The manifest of a results directory.</summary>
    public static JsonNode Manifest(string directory) => JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "manifest.json")))!;

    /// <summary>Asserts that no network namespace of the lab prefix is left.</summary>
    public static void AssertNoNamespaces(string prefix) =>
        Assert.DoesNotContain(Shell.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
}
