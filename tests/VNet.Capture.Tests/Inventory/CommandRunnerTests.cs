using System.ComponentModel;
using System.Diagnostics;
using VNet.Capture.Inventory;

namespace VNet.Capture.Tests.Inventory;

public class CommandRunnerTests
{
    private static readonly ExternalTool Sh = new("sh", "Debian package dash", "this test");

    [Fact]
    public void Process_runner_returns_exit_code_stdout_and_stderr()
    {
        var result = ProcessCommandRunner.Default.Run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
        Assert.Equal(new CommandResult(3, "out\n", "err\n"), result);
    }

    [Fact]
    public void Process_runner_passes_arguments_without_a_shell_and_sets_a_fixed_locale()
    {
        var result = ProcessCommandRunner.Default.Run("sh", ["-c", "printf '%s|' \"$1\" \"$LC_ALL\"", "sh", "a b; $(x)"]);
        Assert.Equal("a b; $(x)|C.UTF-8|", result.StandardOutput);
    }

    [Fact]
    public void Process_runner_throws_enoent_for_a_missing_tool()
    {
        var error = Assert.ThrowsAny<Win32Exception>(() => ProcessCommandRunner.Default.Run("vnet-test-no-such-tool", []));
        Assert.Equal(2, error.NativeErrorCode);
    }

    [Fact]
    public void Process_runner_kills_a_tool_that_runs_too_long()
    {
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<TimeoutException>(() => new ProcessCommandRunner(TimeSpan.FromMilliseconds(200)).Run("sleep", ["10"]));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Missing_tool_message_names_the_tool_the_package_and_who_needs_it()
    {
        var tool = new ExternalTool("vnet-test-no-such-tool", "Debian package vnet-test", "the test provider");
        var error = Assert.Throws<ExternalToolException>(() => tool.Run(ProcessCommandRunner.Default, "list"));
        Assert.Equal("vnet-test-no-such-tool is not installed (Debian package vnet-test); the test provider needs it", error.Message);
        Assert.IsAssignableFrom<Win32Exception>(error.InnerException);
    }

    [Fact]
    public void Non_zero_exit_message_quotes_the_command_exit_code_and_stderr()
    {
        var error = Assert.Throws<ExternalToolException>(() => Sh.Run(ProcessCommandRunner.Default, "-c", "echo 'error: no such domain' >&2; exit 1"));
        Assert.Equal("'sh -c echo 'error: no such domain' >&2; exit 1' failed with exit code 1: error: no such domain", error.Message);
    }

    [Fact]
    public void Non_zero_exit_without_stderr_says_so()
    {
        var error = Assert.Throws<ExternalToolException>(() => Sh.Run(RecordedRunner.Failing(4, "  \n"), "x"));
        Assert.Equal("'sh x' failed with exit code 4: (no error output)", error.Message);
    }

    [Fact]
    public void Other_start_failures_are_reported_with_the_install_hint()
    {
        var runner = new DelegateCommandRunner((_, _) => throw new Win32Exception(13, "Permission denied"));
        var error = Assert.Throws<ExternalToolException>(() => Sh.Run(runner));
        Assert.Equal("sh could not be started (Permission denied); this test needs it (Debian package dash)", error.Message);
    }

    [Fact]
    public void Timeouts_become_tool_errors()
    {
        var runner = new DelegateCommandRunner((_, _) => throw new TimeoutException("sh did not finish within 15 s and was killed"));
        var error = Assert.Throws<ExternalToolException>(() => Sh.Run(runner, "-c", "sleep 99"));
        Assert.Equal("'sh -c sleep 99' did not finish: sh did not finish within 15 s and was killed", error.Message);
    }
}
