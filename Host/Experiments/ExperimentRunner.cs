using VNet.Client;
using VNet.Messages;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.ExceptionServices;
using VNet.Actors.Networks;
using VNet.Host.Console;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary>Options of <c>vnet experiment run</c>.</summary>
public sealed record ExperimentOptions
{
    /// <summary>Where results go (created; must be empty or new).</summary>
    public required string OutDirectory { get; init; }

    /// <summary>A running lab to use (<c>-L</c>); null = the lab file of the experiment (or <see cref="LabFile"/>), brought up by the runner.</summary>
    public string? LabId { get; init; }

    /// <summary>A lab file to bring up instead of the one the experiment names (<c>--lab-file</c>).</summary>
    public string? LabFile { get; init; }

    /// <summary>Namespace prefix of the lab the runner brings up; default <c>ex</c> + 4 random hex digits.</summary>
    public string? Prefix { get; init; }
}

/// <summary>One step as it ran: when it was due, when it started, and the node's (or the lab's) answer.</summary>
public sealed record StepRecord(int Run, string Step, double ScheduledSeconds, double ActualSeconds, double LatenessMs, bool Ok, string Reply);

/// <summary>One run as it ran.</summary>
public sealed record RunRecord(ExperimentRun Run, string Directory, ImmutableArray<StepRecord> Steps, ImmutableArray<Series> Series,
    ImmutableDictionary<(string Measurement, string Value), double> Values, ImmutableArray<string> Problems, double LengthSeconds);

/// <summary>What an experiment produced: every run, and whether it was interrupted.</summary>
public sealed record ExperimentResult(ExperimentDefinition Experiment, string OutDirectory, ImmutableArray<RunRecord> Runs, bool Interrupted, LabState Lab, DateTimeOffset Started)
{
    /// <summary>The largest lateness of any step, in milliseconds (0 without steps).</summary>
    public double LargestLatenessMs => Runs.SelectMany(r => r.Steps).Select(s => s.LatenessMs).DefaultIfEmpty(0).Max();
}

/// <summary>
/// Runs a checked experiment on a lab: brings the lab up when the experiment names a lab file (and
/// tears it down at the end, also on failure or interruption), runs each run's timeline and
/// measurements, deletes the links each run created, and writes the results directory
/// (<see cref="ResultsWriter"/>). Cancelling the token (Ctrl-C) stops the measurements, which keep
/// what they measured, removes the links the experiment created, and still writes the results.
/// </summary>
public sealed class ExperimentRunner(TextWriter output)
{
    // Step lines and the progress ticker write from different threads.
    private readonly TextWriter _progress = TextWriter.Synchronized(output);

    /// <summary>Runs <paramref name="experiment"/>; <paramref name="interrupt"/> is Ctrl-C.</summary>
    public async Task<ExperimentResult> RunAsync(ExperimentDefinition experiment, ExperimentOptions options, CancellationToken interrupt)
    {
        if (Directory.Exists(options.OutDirectory) && Directory.EnumerateFileSystemEntries(options.OutDirectory).Any())
            throw new ShellException($"--out {options.OutDirectory} is not empty; give a new directory");
        Directory.CreateDirectory(options.OutDirectory);
        var started = DateTimeOffset.UtcNow;
        var (lab, state, ownLab) = await LabAsync(experiment, options, interrupt);
        var runs = new List<RunRecord>();
        var interrupted = false;
        ExceptionDispatchInfo? failure = null;
        var control = new LabControl(lab, state);
        try
        {
            Func<CancellationToken, Task<IExperimentConsole>> connect = c => ConsoleExperimentConsole.ConnectAsync(ConsoleEndpoint.Unix(control.State.Hosts[0].Socket), c);
            await using (var console = await connect(interrupt))
            {
                var problems = experiment.Runs.SelectMany(r => r.Steps).OfType<CommandStep>()
                    .Select(s => (s, PaletteCatalog.Problem(console.Palettes, s.Words))).Where(p => p.Item2 is not null)
                    .Select(p => new FileProblem(experiment.File, p.s.Spot.Line, p.s.Spot.Column, $"the node does not accept this: {p.Item2}")).Distinct().ToList();
                if (problems.Count > 0) throw new NetworkFileException(problems);
            }
            var total = experiment.Length;
            var done = TimeSpan.Zero;
            foreach (var run in experiment.Runs)
            {
                if (interrupt.IsCancellationRequested) { interrupted = true; break; }
                var directory = experiment.Runs.Length == 1 ? options.OutDirectory : Path.Combine(options.OutDirectory, "runs", RunDirectory(run));
                Directory.CreateDirectory(directory);
                var record = await RunOneAsync(experiment, run, control, connect, directory, total, done, interrupt);
                runs.Add(record);
                done += run.Length;
                if (interrupt.IsCancellationRequested) interrupted = true;
            }
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            interrupted = true;
        }
        catch (Exception e) when (e is not NetworkFileException)
        {
            // What was measured before the failure is still written; the failure is rethrown after.
            failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            if (ownLab)
            {
                _progress.WriteLine($"tearing down lab {control.State.Id} ...");
                new LabRunner(_progress).Down(LabState.Read(control.State.Id) ?? control.State);
            }
        }
        var result = new ExperimentResult(experiment, options.OutDirectory, [.. runs], interrupted || failure is not null, control.State, started);
        ResultsWriter.Write(result);
        failure?.Throw();
        _progress.WriteLine($"{(interrupted ? "interrupted; partial " : "")}results in {options.OutDirectory} ({runs.Sum(r => r.Series.Length)} series, largest step lateness {result.LargestLatenessMs:0.0} ms)");
        return result;
    }

    private async Task<(LabDefinition Lab, LabState State, bool Own)> LabAsync(ExperimentDefinition experiment, ExperimentOptions options, CancellationToken cancel)
    {
        if (options.LabId is { } id)
        {
            var running = LabState.Read(id) ?? throw new ShellException($"lab '{id}' is not up (running: {string.Join(", ", LabState.Running().Select(s => s.Id).DefaultIfEmpty("none"))})");
            return (Labs.LabFile.Load(running.File), running, false);
        }
        var file = options.LabFile ?? (experiment.Target.LabFile is { } named ? ExperimentFile.ResolveLab(Path.GetDirectoryName(Path.GetFullPath(experiment.File))!, named) : null)
            ?? throw new ShellException($"{experiment.File} runs on a running lab: give it with -L LAB");
        var lab = Labs.LabFile.Load(file);
        var prefix = options.Prefix ?? $"ex{Random.Shared.Next(0x10000):x4}-";
        _progress.WriteLine($"bringing up lab {lab.Name} ({Path.GetFileName(file)}) as {prefix.TrimEnd('-')} ...");
        var state = await new LabRunner(_progress).UpAsync(lab, new LabOptions { Prefix = prefix, CreateLinks = experiment.Target.CreateLinks }, cancel);
        return (lab, state, true);
    }

    private static string RunDirectory(ExperimentRun run) =>
        $"{run.Index + 1:000}" + string.Concat(run.Bindings.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"-{b.Key}-{Safe(b.Value)}")) + $"-r{run.Repetition + 1}";

    private static string Safe(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    private async Task<RunRecord> RunOneAsync(ExperimentDefinition experiment, ExperimentRun run, LabControl lab, Func<CancellationToken, Task<IExperimentConsole>> connect,
        string directory, TimeSpan total, TimeSpan done, CancellationToken interrupt)
    {
        var label = experiment.Runs.Length == 1 ? "" : $"[run {run.Index + 1}/{experiment.Runs.Length} {run.Label}] ";
        await using var console = await connect(interrupt);
        var before = (await console.LinksAsync(interrupt)).Select(l => l.Id).ToHashSet();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var clock = new StopwatchClock();
        var context = new ProbeContext(clock, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, lab, connect, directory);
        var measuring = new List<Task>();
        var steps = new List<StepRecord>();
        var timeline = new Timeline(run);
        var stepCount = run.Steps.Length;
        try
        {
            using var ticker = Ticker(label, run, clock, total, done, stop.Token);
            await timeline.RunAsync(clock, async timing =>
            {
                var entry = timing.Entry;
                if (entry.Measurement is { } m)
                {
                    var index = run.Measurements.IndexOf(m);
                    measuring.Add(Task.Run(() => Guarded(m, () => Probes.RunAsync(m, index, context, stop.Token), context)));
                    return;
                }
                var (ok, reply) = await StepAsync(entry.Step!, console, lab, interrupt);
                var recordStep = new StepRecord(run.Index, entry.Describe(), timing.Scheduled.TotalSeconds, timing.Actual.TotalSeconds, timing.Lateness.TotalMilliseconds, ok, reply);
                steps.Add(recordStep);
                var eta = total - done - clock.Elapsed;
                _progress.WriteLine($"{label}t={timing.Actual.TotalSeconds,5:0.0}s step {steps.Count}/{stepCount} {entry.Describe()}: {(ok ? "ok" : "FAILED")} (late {recordStep.LatenessMs:0.0} ms) {FirstLine(reply)}  ETA {Eta(eta)}");
            }, interrupt);
            // The run lasts until its last measurement ends; the tools then finish on their own (iperf3
            // exchanges its results after the last interval), for at most 20 s more.
            await clock.WaitUntilAsync(run.Length, interrupt);
            await Task.WhenAny(Task.WhenAll(measuring), Task.Delay(TimeSpan.FromSeconds(20), interrupt));
            interrupt.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            _progress.WriteLine($"{label}interrupted at t={clock.Elapsed.TotalSeconds:0.0}s: stopping the measurements, keeping what they measured");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(measuring);
            await DeleteCreatedLinksAsync(connect, before, label);
        }
        return new RunRecord(run, directory, [.. steps], [.. context.Series], context.Values.ToImmutableDictionary(), [.. context.Problems], clock.Elapsed.TotalSeconds);
    }

    /// <summary>A _progress line every 5 s while a run measures: where it is and the ETA of the whole experiment.</summary>
    private Timer Ticker(string label, ExperimentRun run, IExperimentClock clock, TimeSpan total, TimeSpan done, CancellationToken stop) =>
        new(_ =>
        {
            if (stop.IsCancellationRequested || clock.Elapsed >= run.Length) return;
            _progress.WriteLine($"{label}t={clock.Elapsed.TotalSeconds,5:0.0}s of {run.Length.TotalSeconds:0.0}s  ETA {Eta(total - done - clock.Elapsed)}");
        }, null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

    private static async Task Guarded(Measurement m, Func<Task> run, ProbeContext context)
    {
        try
        {
            await run();
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is ShellException or IOException or Client.CommandException or InvalidOperationException)
        {
            context.Problems.Enqueue($"{m.Name}: {e.Message}");
        }
    }

    private static async Task<(bool Ok, string Reply)> StepAsync(ExperimentStep step, IExperimentConsole console, LabControl lab, CancellationToken cancel)
    {
        switch (step)
        {
            case HostStep h:
                try
                {
                    return (true, await Task.Run(() => lab.Apply(h), cancel));
                }
                catch (ShellException e)
                {
                    return (false, e.Message);
                }
            case CommandStep c:
                var reply = await console.RunAsync(c.Words, cancel);
                if (reply.Ok && c.Words is ["link", "create", ..]) await ApplyMtuAsync(c, console, lab, cancel);
                return (reply.Ok, reply.Ok ? reply.Reply : reply.Error ?? $"exit {reply.Exit}");
            default:
                throw new ArgumentOutOfRangeException(nameof(step));
        }
    }

    /// <summary>
    /// A link made by a step gets what <c>lab up</c> gives the lab file's links: its VMs' MTU set to the
    /// link's VM MTU once every end reports it (at most 15 s), so full-size frames fit the capsules.
    /// </summary>
    private static async Task ApplyMtuAsync(CommandStep step, IExperimentConsole console, LabControl lab, CancellationToken cancel)
    {
        var id = step.Words.SkipWhile(w => w != "--id").Skip(1).FirstOrDefault();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var link = (await console.LinksAsync(cancel)).FirstOrDefault(l => l.Id == id);
            if (link?.VmMtu is > 0 and var mtu)
            {
                lab.SetMtu(link.Ends.Select(e => e.Split('@')[0]), mtu);
                return;
            }
            await Task.Delay(100, cancel);
        }
    }

    private async Task DeleteCreatedLinksAsync(Func<CancellationToken, Task<IExperimentConsole>> connect, HashSet<string> before, string label)
    {
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using var console = await connect(bounded.Token);
            foreach (var link in (await console.LinksAsync(bounded.Token)).Where(l => !before.Contains(l.Id)))
            {
                var reply = await console.RunAsync(["link", "delete", "--id", link.Id], bounded.Token);
                _progress.WriteLine($"{label}link {link.Id} (created by the run) deleted{(reply.Ok ? "" : $": FAILED {reply.Error}")}");
            }
        }
        catch (Exception e) when (e is Client.CommandException or OperationCanceledException or IOException)
        {
            _progress.WriteLine($"{label}could not remove the links the run created: {e.Message}");
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim() is { Length: > 0 } l ? $"— {(l.Length > 80 ? l[..80] + "…" : l)}" : "";

    private static string Eta(TimeSpan t) => t <= TimeSpan.Zero ? "0s" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0}s";
}
