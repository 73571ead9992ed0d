using VNet.Client;
using System.Runtime.InteropServices;
using VNet.Actors.Commands;
using VNet.Actors.Networks;
using VNet.Host.Labs;

namespace VNet.Host.Experiments;

/// <summary>The verbs <c>vnet experiment check</c> and <c>vnet experiment run</c>.</summary>
public static class ExperimentCli
{
    /// <summary><c>experiment check FILE</c>: the file's schema, units, times, commands and (when it names one) its lab's VMs.</summary>
    public static int Check(string file, TextWriter output)
    {
        var experiment = ExperimentFile.Load(file);
        output.WriteLine($"{file}: ok — experiment {experiment.Name}, {experiment.Runs.Length} run(s) of {ExperimentUnits.Format(experiment.Runs[0].Length)}"
            + $" ({ExperimentUnits.Format(experiment.Length)} of measuring), {experiment.Runs[0].Steps.Length} step(s), {experiment.Runs[0].Measurements.Length} measurement(s) per run"
            + (experiment.Target.LabFile is null ? "; runs on a running lab (-L LAB): its VMs and hosts are checked then" : $"; lab {experiment.Target.LabFile}"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// <c>experiment run FILE [-L LAB | --lab-file FILE] [--out DIR] [--prefix P]</c>; returns the exit
    /// code. Problems of the file are thrown as <see cref="NetworkFileException"/>.
    /// </summary>
    public static async Task<int> RunAsync(string path, string? labId, string? labFile, string? outDir, string? prefix, TextWriter output, TextWriter error)
    {
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
