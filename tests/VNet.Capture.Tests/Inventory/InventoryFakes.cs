using System.ComponentModel;
using VNet.Capture.Inventory;

namespace VNet.Capture.Tests.Inventory;

/// <summary>Reads files under the test output's TestData directory.</summary>
internal static class TestData
{
    public static string Read(string relativePath) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", relativePath));
}

/// <summary>
/// A command runner that answers from a table of recorded outputs keyed by the full command line
/// ("virsh list --name --state-running") and records what was run.
/// </summary>
internal sealed class RecordedRunner : ICommandRunner
{
    private readonly Dictionary<string, CommandResult> _answers = new(StringComparer.Ordinal);

    public List<string> Calls { get; } = [];

    public RecordedRunner Answer(string commandLine, string stdout) => Answer(commandLine, new CommandResult(0, stdout, ""));

    public RecordedRunner Answer(string commandLine, CommandResult result)
    {
        _answers[commandLine] = result;
        return this;
    }

    public CommandResult Run(string tool, IReadOnlyList<string> arguments)
    {
        var line = arguments.Count == 0 ? tool : $"{tool} {string.Join(' ', arguments)}";
        Calls.Add(line);
        return _answers.TryGetValue(line, out var result)
            ? result
            : throw new InvalidOperationException($"test runner has no answer for '{line}'");
    }

    /// <summary>A runner that behaves as if no tool were installed (what Process.Start throws: ENOENT).</summary>
    public static ICommandRunner NotInstalled { get; } =
        new DelegateCommandRunner((tool, _) => throw new Win32Exception(2, $"An error occurred trying to start process '{tool}'. No such file or directory"));

    /// <summary>A runner whose every command fails with <paramref name="exitCode"/> and <paramref name="stderr"/>.</summary>
    public static ICommandRunner Failing(int exitCode, string stderr) =>
        new DelegateCommandRunner((_, _) => new CommandResult(exitCode, "", stderr));
}
