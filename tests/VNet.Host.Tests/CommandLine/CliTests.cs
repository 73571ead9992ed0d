using System.CommandLine;
using VNet.Client;

namespace VNet.Host.Tests.CommandLine;

/// <summary>
/// The `vnet` command line parsed and run in the process: help for every verb, the version, usage
/// errors with suggestions. Help and parse errors never reach a verb's action, so nothing is built
/// or started here (the integration tests check the same on the real binary, namespaces included).
/// </summary>
public sealed class CliTests
{
    /// <summary>Every command path of the tree: ["lab"], ["lab", "up"], ...</summary>
    public static TheoryData<string> CommandPaths()
    {
        var data = new TheoryData<string>();
        void Walk(Command c, string path)
        {
            foreach (var sub in c.Subcommands.Where(s => !s.Hidden))
            {
                var p = path.Length == 0 ? sub.Name : path + " " + sub.Name;
                data.Add(p);
                Walk(sub, p);
            }
        }
        Walk(Cli.Root(TextWriter.Null, TextWriter.Null), "");
        return data;
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await Cli.InvokeAsync(Cli.Root(output, error), args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Help_of_every_verb_exits_0_with_its_usage(string path)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var (exit, output, error) = await Run([.. path.Split(' '), help]);
            Assert.True(exit == 0, $"vnet {path} {help}: exit {exit}: {error}");
            Assert.Contains($"vnet {path}", output);
            Assert.Contains("Usage:", output);
            Assert.Equal("", error);
        }
    }

    [Fact]
    public async Task Help_lists_every_verb_and_every_exit_code()
    {
        var (exit, output, _) = await Run("--help");
        Assert.Equal(0, exit);
        foreach (var verb in new[] { "lab", "demo", "experiment", "pki", "metrics", "top", "completion" }) Assert.Contains($"  {verb} ", output);
        Assert.DoesNotContain("  complete ", output);
        Assert.Contains("Exit codes:", output);
        foreach (var code in new[] { ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Unreachable, ExitCodes.Retry })
            Assert.Matches($@"\n  {code} +\S", output);
    }

    [Fact]
    public async Task Version_is_the_version_and_the_commit()
    {
        var (exit, output, _) = await Run("--version");
        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]{7,40})?\s*$", output);
    }

    [Theory]
    [InlineData("lab inpsect", "vnet lab: unknown verb 'inpsect' (did you mean inspect?)")]
    [InlineData("lab pingall --cuont 2", "vnet lab pingall: unknown switch '--cuont' (did you mean --count?)")]
    [InlineData("pki isue x", "vnet pki: unknown verb 'isue' (did you mean issue?)")]
    [InlineData("lab", "vnet lab: which one? (up, down")]
    [InlineData("lab pingall -L", "vnet lab pingall: -L needs a value")]
    [InlineData("lab inspect --lab --json", "--lab needs a lab id before --json")]
    [InlineData("lab pingall --count 0", "--count 0 is not in 1-100")]
    [InlineData("lab graph --format svg", "svg")]
    [InlineData("lab iperf vm1", "vnet lab iperf: TO is missing (the VM that runs the iperf3 server); usage: vnet lab iperf FROM TO [options]")]
    [InlineData("lab exec vm1", "vnet lab exec: CMD is missing")]
    [InlineData("completion fish", "fish")]
    [InlineData("completion zsh", "zsh")]
    [InlineData("demo --seconds 99", "--seconds 99 is not a number of seconds in 0-60")]
    public async Task A_wrong_command_line_is_a_usage_error_that_says_what_is_wrong(string line, string expected)
    {
        var (exit, output, error) = await Run(line.Split(' '));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(expected, error);
        Assert.StartsWith("error: ", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("link create --id l1", true)]
    [InlineData("-L lab1 hosts", true)]
    [InlineData("-H 10.0.0.1:9110", true)]
    [InlineData("lab list", false)]
    [InlineData("-L lab1 lab inspect", false)]
    [InlineData("--help", false)]
    [InlineData("--version", false)]
    [InlineData("completion bash", false)]
    public void A_line_goes_to_the_console_unless_it_starts_with_a_local_verb(string line, bool console)
    {
        Assert.Equal(console, Cli.IsConsoleLine(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }
}
