using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using VNet.Actors.Networks;
using VNet.Client;
using VNet.Host.Labs;
using VNet.Messages.Commands;

namespace VNet.Bench.Scale;

/// <summary>
/// A generated lab (<c>vnet lab gen</c>) of the scale run, up without links under the prefix
/// <c>sc&lt;tag&gt;-</c>; its links are made later by one <c>net load</c>. Disposing it tears it
/// down, also when a measurement failed.
/// </summary>
public sealed partial class ScaleLab : IAsyncDisposable
{
    private readonly LabRunner _runner = new(TextWriter.Null);

    private ScaleLab(LabDefinition definition, LabState state, double upSeconds, double clusterSeconds)
    {
        Definition = definition;
        State = state;
        UpSeconds = upSeconds;
        ClusterSeconds = clusterSeconds;
    }

    /// <summary>The lab as generated: hosts, VMs, and the network its load makes.</summary>
    public LabDefinition Definition { get; }

    /// <summary>The running lab.</summary>
    public LabState State { get; private set; }

    /// <summary>Seconds from the first namespace to every vnetd joined and registered in one cluster.</summary>
    public double UpSeconds { get; }

    /// <summary>Seconds from the vnetds started to one cluster (the lab runner's "cluster" step).</summary>
    public double ClusterSeconds { get; }

    /// <summary>The pid of host <paramref name="host"/>'s vnetd.</summary>
    public int VnetdPid(string host) => State.Processes.First(p => p.Name == $"vnetd-{host}").Pid;

    /// <summary>The network namespace of node <paramref name="node"/> (a host or a VM).</summary>
    public string Netns(string node) => State.Prefix + node;

    /// <summary>
    /// Generates the lab of <paramref name="options"/> and brings it up with <paramref name="model"/>;
    /// on failure whatever was built is gone again before the exception leaves.
    /// </summary>
    public static async Task<ScaleLab> UpAsync(LabGenOptions options, string tag, ForwarderModel model, TimeSpan clusterTimeout, CancellationToken cancel)
    {
        var definition = LabFile.Parse(LabGen.Generate(options), Path.Combine(Path.GetTempPath(), $"vnet-sc{tag}.xml"));
        var progress = new StringWriter(CultureInfo.InvariantCulture);
        var runner = new LabRunner(progress);
        var clock = Stopwatch.StartNew();
        // Hundreds of forwarder threads (per-link model) or dozens of nodes start at once on a small
        // machine: heartbeats come late, so a node is given longer before it is taken for gone (this
        // run measures scale, not failure detection).
        var state = await runner.UpAsync(definition, new LabOptions
        {
            Prefix = $"sc{tag}-", CreateLinks = false, ClusterTimeout = clusterTimeout,
            ExtraConfig = "akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s\nakka.cluster.split-brain-resolver.stable-after = 20s\nvnet.topology.start-timeout = 20s\n" + model.Config(),
        }, cancel);
        var up = clock.Elapsed.TotalSeconds;
        var cluster = ClusterStep().Match(progress.ToString());
        return new ScaleLab(definition, state, up, cluster.Success ? double.Parse(cluster.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN);
    }

    /// <summary>The outcome of one net load: how long it took and, when refused, why.</summary>
    public sealed record LoadOutcome(double Seconds, string? Failure);

    /// <summary>Loads the lab's network through h1's console, bounded by <paramref name="timeout"/>.</summary>
    public async Task<LoadOutcome> LoadAsync(TimeSpan timeout, CancellationToken cancel)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bounded.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            await using var vnet = await VNetClient.ConnectAsync(ConsoleEndpoint.Unix(State.Hosts[0].Socket), cancel: bounded.Token);
            var reply = await vnet.AskAsync(new LoadNetwork("scale.xml", Encoding.UTF8.GetBytes(NetworkFile.Write(Definition.Network)), false), bounded.Token);
            var failure = reply is NetworkRejected rejected ? string.Join("; ", rejected.FileProblems.Select(p => p.Message)) : null;
            return new LoadOutcome(clock.Elapsed.TotalSeconds, failure);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return new LoadOutcome(clock.Elapsed.TotalSeconds, $"not done within {timeout.TotalSeconds:0} s");
        }
        catch (CommandException e)
        {
            return new LoadOutcome(clock.Elapsed.TotalSeconds, e.Message);
        }
    }

    /// <summary>The lab runner's progress line of its cluster step: "[5/5] cluster ... ok (12.3 s)".</summary>
    [GeneratedRegex(@"\] cluster \.\.\. ok \(([0-9.]+) s\)")]
    private static partial Regex ClusterStep();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _runner.Down(LabState.Read(State.Id) ?? State, quiet: true);
        return ValueTask.CompletedTask;
    }
}
