using System.Diagnostics;
using VNet.Capture.Processes;

namespace VNet.Capture.Tests.Processes;

/// <summary>The one process runner: output, exit codes, a missing program, time limits, SIGINT first, nothing left running.</summary>
public sealed class ProcessRunnerTests
{
    private static readonly TimeSpan Ample = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Output_error_and_exit_code_come_back_and_standard_input_is_closed()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "read x; echo out \"$x\"; echo err >&2; exit 3"], Ample);
        Assert.Equal(new ProcessResult(3, "out \n", "err\n"), result);
    }

    [Fact]
    public void A_missing_program_is_named_and_said_to_be_not_installed()
    {
        var e = Assert.Throws<ProcessStartException>(() => ProcessRunner.Run("vnet-test-no-such-tool", [], Ample));
        Assert.True(e.NotInstalled);
        Assert.Equal("vnet-test-no-such-tool", e.Program);
        Assert.Contains("vnet-test-no-such-tool", e.Message);
    }

    [Fact]
    public async Task A_program_past_its_time_is_killed_with_its_children_and_the_message_names_it()
    {
        // A sleep of a duration no other process has, to find it by its command line.
        var seconds = $"29.{Random.Shared.Next(100_000, 999_999)}";
        var started = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ProcessTimeoutException>(() => ProcessRunner.RunAsync("sh", ["-c", $"sleep {seconds} & wait"], TimeSpan.FromSeconds(0.5)));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        Assert.Contains("did not finish within 0.5 s and was killed", e.Message);
        Assert.Contains($"sh -c sleep {seconds}", e.Message);
        static bool Running(string arg) => Directory.GetDirectories("/proc").Any(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(arg, StringComparison.Ordinal); }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException) { return false; }
        });
        for (var i = 0; i < 20 && Running(seconds); i++) await Task.Delay(100);
        Assert.False(Running(seconds), "the program's child outlived it");
    }

    [Fact]
    public async Task Cancelling_kills_the_program_and_throws_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(0.5));
        var started = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessRunner.RunAsync("sleep", ["30"], Ample, cancel.Token));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task An_interrupt_grace_sends_sigint_first_so_the_program_can_report()
    {
        var lines = new List<string>();
        // perl, not a bash trap: when the tests themselves run with SIGINT ignored (started in the
        // background by a non-interactive shell), children inherit that, and bash cannot trap a signal
        // ignored on entry; perl's handler is installed whatever the inherited disposition.
        const string Script = "$| = 1; $SIG{INT} = sub { print \"interrupted\\n\"; exit 0 }; print \"started\\n\"; select(undef, undef, undef, 0.1) while 1";
        var result = await ProcessRunner.RunAsync("perl", ["-e", Script], TimeSpan.FromSeconds(1), options: new ProcessOptions
        {
            InterruptGrace = TimeSpan.FromSeconds(5),
            OnOutputLine = lines.Add,
        });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["started", "interrupted"], lines);
    }

    [Fact]
    public async Task Environment_variables_reach_the_program()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "echo $LC_ALL"], Ample, options: new ProcessOptions { Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C.UTF-8" } });
        Assert.Equal("C.UTF-8\n", result.Output);
    }
}
