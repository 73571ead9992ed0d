using System.Collections.Immutable;
using VNet.Host.Labs;
using VNet.Host.Observability;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Observability;

/// <summary>Reading a lab node's /metrics the way an operator does: <c>vnet lab metrics HOST</c>.</summary>
internal static class LabMetrics
{
    /// <summary>The vnet CLI (the same binary as vnetd).</summary>
    public static IReadOnlyList<string> Cli => LabRunner.DaemonCommand();

    /// <summary>Scrapes a host's node and parses the text strictly (HELP and TYPE before samples).</summary>
    public static ImmutableArray<PrometheusFamily> Scrape(LabSession session, string host)
    {
        var r = Shell.Run(Cli[0], [.. Cli.Skip(1), "lab", "metrics", host, "--lab", session.State.Id], check: false, timeout: TimeSpan.FromSeconds(30));
        if (r.Exit != 0) throw new Xunit.Sdk.XunitException($"vnet lab metrics {host} failed ({r.Exit}): {r.Error}{Environment.NewLine}{session.Logs()}");
        return PrometheusText.Parse(r.Output);
    }

    /// <summary>The value of the one sample named <paramref name="name"/> (a histogram's <c>_count</c> too) with these labels, or null.</summary>
    public static double? Value(this ImmutableArray<PrometheusFamily> families, string name, params (string Label, string Value)[] labels) =>
        families.SelectMany(f => f.Samples).Where(s => s.Name == name && labels.All(l => s[l.Label] == l.Value)).Select(s => (double?)s.Value).SingleOrDefault();

    /// <summary>Where test artifacts go (kept after the run): .run/test-artifacts/observability.</summary>
    public static string ArtifactDirectory
    {
        get
        {
            var dir = Path.Combine(LabSession.RepoRoot, ".run", "test-artifacts", "observability");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>Runs TCP iperf3 from vm1 to vm2 in the background for <paramref name="seconds"/> (bounded).</summary>
    public static Task<IperfResult> TrafficAsync(LabSession session, double seconds, int port) =>
        Task.Run(() => Measurements.Iperf(session.Ns("vm2"), session.Ns("vm1"), "10.250.0.2", seconds, logDirectory: session.State.Directory, port: port));
}
