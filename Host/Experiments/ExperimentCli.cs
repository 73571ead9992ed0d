using VNet.Client;
using System.Runtime.InteropServices;
using VNet.Actors.Commands;
using VNet.Actors.Networks;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary><c>vnet experiment check FILE</c> and <c>vnet experiment run FILE [-L LAB | --lab-file FILE] [--out DIR] [--prefix P]</c>.</summary>
public static class ExperimentCli
{
    /// <summary>The usage lines of the verb.</summary>
    public const string Usage = """
          vnet experiment check FILE             check an experiment file (schema, units, times, commands, VMs of its lab)
          vnet experiment run FILE [-L LAB | --lab-file LAB.xml] [--out DIR] [--prefix P]
                                                 run it: brings its lab up (or uses a running one), runs the
                                                 timeline and measurements, writes CSV, manifest.json, summary.md
                                                 and PNG plots to DIR (default results/NAME-TIME); Ctrl-C stops
                                                 and still writes what was measured
        """;

    /// <summary>Runs the verb; returns the exit code. Problems of the file are thrown as <see cref="NetworkFileException"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is ["check", var file])
        {
            var experiment = ExperimentFile.Load(file);
            output.WriteLine($"{file}: ok — experiment {experiment.Name}, {experiment.Runs.Length} run(s) of {ExperimentUnits.Format(experiment.Runs[0].Length)}"
                + $" ({ExperimentUnits.Format(experiment.Length)} of measuring), {experiment.Runs[0].Steps.Length} step(s), {experiment.Runs[0].Measurements.Length} measurement(s) per run"
                + (experiment.Target.LabFile is null ? "; runs on a running lab (-L LAB): its VMs and hosts are checked then" : $"; lab {experiment.Target.LabFile}"));
            return ExitCodes.Ok;
        }
        if (args is not ["run", var path, .. var rest]) { error.WriteLine("error: experiment: expected `check FILE` or `run FILE ...`\n" + Usage); return ExitCodes.Usage; }
        string? labId = null, labFile = null, outDir = null, prefix = null;
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "-L" when i + 1 < rest.Length: labId = rest[++i]; break;
                case "--lab-file" when i + 1 < rest.Length: labFile = rest[++i]; break;
                case "--out" when i + 1 < rest.Length: outDir = rest[++i]; break;
                case "--prefix" when i + 1 < rest.Length: prefix = rest[++i]; break;
                default: error.WriteLine($"error: experiment run: unexpected '{rest[i]}'\n{Usage}"); return ExitCodes.Usage;
            }
        }
        if (labId is not null && labFile is not null) { error.WriteLine("error: experiment run: -L and --lab-file exclude each other"); return ExitCodes.Usage; }
        if (prefix is not null && (prefix.Length > 8 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            error.WriteLine($"error: --prefix '{prefix}' must be at most 8 letters, digits or '-'");
            return ExitCodes.Usage;
        }
        LabTopology? running = null;
        if (labId is not null)
        {
            var state = LabState.Read(labId);
            if (state is null) { error.WriteLine($"error: lab '{labId}' is not up"); return ExitCodes.Usage; }
            running = ExperimentFile.ReadLab(state.File);
        }
        else if (labFile is not null) running = ExperimentFile.ReadLab(Cli.ResolveLabFile(labFile));
        var definition = ExperimentFile.Load(path, running);
        outDir ??= Path.Combine("results", $"{definition.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        using var interrupt = new CancellationTokenSource();
        // Ctrl-C (SIGINT) and SIGTERM stop the run; the runner removes what it created and writes the results.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Interrupt(interrupt, error); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Interrupt(interrupt, error); });
        ExperimentResult result;
        try
        {
            result = await new ExperimentRunner(output).RunAsync(definition, new ExperimentOptions { OutDirectory = outDir, LabId = labId, LabFile = labFile is null ? null : Cli.ResolveLabFile(labFile), Prefix = prefix }, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            // Interrupted while the lab came up: the lab runner has removed what it built; nothing was measured.
            error.WriteLine("interrupted before the first run: nothing was measured");
            return 130;
        }
        var failed = result.Runs.SelectMany(r => r.Steps).Count(s => !s.Ok);
        if (failed > 0) error.WriteLine($"warning: {failed} step(s) failed (see {Path.Combine(outDir, "summary.md")})");
        return result.Interrupted ? 130 : ExitCodes.Ok;
    }

    private static void Interrupt(CancellationTokenSource interrupt, TextWriter error)
    {
        if (interrupt.IsCancellationRequested) return;
        error.WriteLine("interrupted: stopping the measurements, removing the links the experiment created, writing what was measured ...");
        interrupt.Cancel();
    }
}
