using System.Collections.Immutable;

namespace VNet.Host.Experiments;

/// <summary>Where in the experiment file something was written (for messages at run time).</summary>
public readonly record struct SourceSpot(int Line, int Column)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>What an experiment runs on: a lab file the runner brings up itself, or a lab that is already running.</summary>
/// <param name="LabFile">The lab file (resolved against the experiment file's folder); null = the running lab given at run time.</param>
/// <param name="CreateLinks">Whether the runner creates the lab file's links when it brings the lab up.</param>
public sealed record ExperimentTarget(string? LabFile, bool CreateLinks);

/// <summary>One step of the timeline, with its time resolved to an offset from the start of the run.</summary>
public abstract record ExperimentStep(TimeSpan At, SourceSpot Spot)
{
    /// <summary>How the step reads in progress lines, the manifest and the summary.</summary>
    public abstract string Describe();
}

/// <summary>A console command, exactly as typed at the <c>vnet</c> prompt (<c>link set --id l1 --bandwidth 60M</c>).</summary>
public sealed record CommandStep(TimeSpan At, SourceSpot Spot, string CommandLine, ImmutableArray<string> Words) : ExperimentStep(At, Spot)
{
    /// <summary>A step written in code: the command line split into words as the console does.</summary>
    public static CommandStep Of(TimeSpan at, string commandLine) => new(at, default, commandLine, [.. Console.ConsoleClient.Words(commandLine)]);

    /// <inheritdoc/>
    public override string Describe() => CommandLine;
}

/// <summary>What a lab step does to one lab host.</summary>
public enum HostAction
{
    /// <summary>SIGKILL its vnetd (a crash).</summary>
    Kill,

    /// <summary>SIGTERM its vnetd (an orderly shutdown).</summary>
    Stop,

    /// <summary>Start its vnetd again.</summary>
    Start,

    /// <summary>Drop everything on its substrate interfaces (a partition; vnetd keeps running).</summary>
    Cut,

    /// <summary>End a cut.</summary>
    Heal,
}

/// <summary>A lab step: kill, stop or start one host's vnetd, or cut it off the substrate and heal it.</summary>
public sealed record HostStep(TimeSpan At, SourceSpot Spot, string Host, HostAction Action) : ExperimentStep(At, Spot)
{
    /// <inheritdoc/>
    public override string Describe() => $"host {Host} {Action.ToString().ToLowerInvariant()}";
}

/// <summary>A measurement: runs from <see cref="Start"/> for <see cref="Duration"/> and writes one or more series.</summary>
public abstract record Measurement(string Name, TimeSpan Start, TimeSpan Duration, SourceSpot Spot)
{
    /// <summary>When it ends, from the start of the run.</summary>
    public TimeSpan End => Start + Duration;
}

/// <summary>iperf3 from one VM to another: TCP, or UDP at an offered rate; intervals at most 1 s.</summary>
public sealed record IperfMeasurement(string Name, TimeSpan Start, TimeSpan Duration, SourceSpot Spot, string From, string To, bool Udp, long RateBitsPerSecond, int Length, TimeSpan Interval)
    : Measurement(Name, Start, Duration, Spot);

/// <summary>ping from one VM to another; every reply timestamped by ping itself (<c>ping -D</c>), every missing reply recorded.</summary>
public sealed record PingMeasurement(string Name, TimeSpan Start, TimeSpan Duration, SourceSpot Spot, string From, string To, TimeSpan Interval)
    : Measurement(Name, Start, Duration, Spot);

/// <summary>A link's state and per-host counters, sampled every <see cref="Every"/>.</summary>
public sealed record CountersMeasurement(string Name, TimeSpan Start, TimeSpan Duration, SourceSpot Spot, string Link, TimeSpan Every)
    : Measurement(Name, Start, Duration, Spot);

/// <summary>A sweep plot: one measured value against one parameter, mean and standard deviation over the other runs.</summary>
/// <param name="Measurement">The measurement whose per-run value is plotted.</param>
/// <param name="Value">Which value of it: throughput, loss, rtt.</param>
/// <param name="X">The parameter on the x axis.</param>
/// <param name="Lines">A parameter whose values each get a line of their own; null = one line.</param>
/// <param name="Spot">Where the plot is declared.</param>
public sealed record SweepPlot(string Measurement, string Value, string X, string? Lines, SourceSpot Spot);

/// <summary>One parameter of a sweep and the values it takes, in the file's order.</summary>
public sealed record SweepParameter(string Name, ImmutableArray<string> Values);

/// <summary>
/// One run of an experiment: the timeline and measurements with every <c>${param}</c> replaced by
/// the values of <see cref="Bindings"/>, and which repetition it is.
/// </summary>
public sealed record ExperimentRun(int Index, ImmutableDictionary<string, string> Bindings, int Repetition, ImmutableArray<ExperimentStep> Steps, ImmutableArray<Measurement> Measurements)
{
    /// <summary>The end of the last step or measurement: how long the run takes.</summary>
    public TimeSpan Length => Steps.Select(s => s.At).Concat(Measurements.Select(m => m.End)).DefaultIfEmpty(TimeSpan.Zero).Max();

    /// <summary>"kind=raw-p2p rate=50M #2", or "run 1" when nothing is swept or repeated.</summary>
    public string Label => Bindings.Count == 0 && Repetition == 0 ? $"run {Index + 1}"
        : string.Join(' ', Bindings.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={b.Value}").Append($"#{Repetition + 1}"));
}

/// <summary>A checked experiment file: what it runs on, its sweep and every run it expands to.</summary>
public sealed record ExperimentDefinition(string Name, string File, string Text, ExperimentTarget Target, ImmutableArray<SweepParameter> Parameters, int Repetitions, ImmutableArray<ExperimentRun> Runs, ImmutableArray<SweepPlot> Plots)
{
    /// <summary>How long all runs take, without lab start-up and the pauses between runs.</summary>
    public TimeSpan Length => Runs.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Length);

    /// <summary>
    /// An experiment written in code (one run, no sweep): checked like a file's, its commands against
    /// the console's palettes and its measurements against each other; throws <see cref="InvalidOperationException"/> with every problem.
    /// </summary>
    public static ExperimentDefinition InCode(string name, string labFile, bool createLabLinks, IEnumerable<ExperimentStep> steps, IEnumerable<Measurement> measurements)
    {
        var run = new ExperimentRun(0, ImmutableDictionary<string, string>.Empty, 0, [.. steps.OrderBy(s => s.At)], [.. measurements]);
        var problems = run.Steps.OfType<CommandStep>().Select(c => PaletteCatalog.Problem(PaletteCatalog.Definitions, c.Words) is { } p ? $"{c.CommandLine}: {p}" : null)
            .Concat(run.Measurements.GroupBy(m => m.Name).Where(g => g.Count() > 1).Select(g => $"measurement name '{g.Key}' is used twice")).OfType<string>().ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        return new ExperimentDefinition(name, Path.Combine(Environment.CurrentDirectory, name + ".cs"), "", new ExperimentTarget(labFile, createLabLinks), [], 1, [run], []);
    }
}
