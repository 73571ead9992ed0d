using System.CommandLine;
using System.Diagnostics;
using VNet.Host;
using VNet.Host.Labs;

namespace VNet.Integration.Tests.Labs;

/// <summary>
/// `--help` and `--version` print and do nothing else — no lab, no namespace, no benchmark build —
/// for every verb of the real `vnet` binary and for the verbs the `vnet` script runs itself; a
/// mistyped verb gets a suggestion; a palette's help comes from the node of a lab; the bash
/// completion script completes verbs and palette commands in a real bash.
/// </summary>
public sealed class HelpTests
{
    private static string Binary => Environment.GetEnvironmentVariable("VNET_HOST_BIN") is { Length: > 0 } b ? b : Path.Combine(LabSession.RepoRoot, ".run", "bin", "VNet.Host");

    private static async Task<(int Exit, string Output, string Error)> Run(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await output, await error);
    }

    private static Task<(int Exit, string Output, string Error)> Vnet(params string[] args) => Run(Binary, args);

    /// <summary>What a help run must leave as it was: the namespaces, the labs, the benchmark's build stamp.</summary>
    private sealed record Snapshot(HashSet<string> Namespaces, HashSet<string> Labs, DateTime? BenchBuilt)
    {
        private static string BenchStamp => Path.Combine(LabSession.RepoRoot, ".run", "bench", ".stamp");

        public static Snapshot Take() => new(Shell.Namespaces(), [.. LabState.Running().Select(l => l.Id)], File.Exists(BenchStamp) ? File.GetLastWriteTimeUtc(BenchStamp) : null);

        public void AssertUnchanged(string what)
        {
            var now = Take();
            // Other tests may run labs at the same time (prefix vt…); a lab built by a verb would be named vn-….
            Assert.True(now.Namespaces.SetEquals(Namespaces) || now.Namespaces.Except(Namespaces).All(n => n.StartsWith("vt")), $"{what}: a namespace appeared: {string.Join(", ", now.Namespaces.Except(Namespaces))}");
            var appeared = LabState.Running().Where(l => !Labs.Contains(l.Id) && !l.Prefix.StartsWith("vt")).Select(l => l.Id).ToList();
            Assert.True(appeared.Count == 0, $"{what}: a lab appeared: {string.Join(", ", appeared)}");
            Assert.Equal(BenchBuilt, now.BenchBuilt);
        }
    }

    [Theory]
    [InlineData("demo", "vnet demo")]
    [InlineData("bench", "usage: sudo ./vnet bench")]
    [InlineData("test", "usage: ./vnet test")]
    [InlineData("lab up", "vnet lab up")]
    public async Task Help_of_the_script_prints_the_usage_and_changes_nothing(string verb, string usage)
    {
        var before = Snapshot.Take();
        var (exit, output, error) = await Run(Path.Combine(LabSession.RepoRoot, "vnet"), [.. verb.Split(' '), "--help"], TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"./vnet {verb} --help: exit {exit}\n{error}");
        Assert.Contains(usage, output);
        before.AssertUnchanged($"./vnet {verb} --help");
    }

    /// <summary>Every command path of the binary's tree, as the binary itself builds it.</summary>
    public static TheoryData<string> CommandPaths()
    {
        var data = new TheoryData<string> { "" };
        void Walk(Command c, string path)
        {
            foreach (var sub in c.Subcommands.Where(s => !s.Hidden))
            {
                var p = (path + " " + sub.Name).Trim();
                data.Add(p);
                Walk(sub, p);
            }
        }
        Walk(Cli.Root(TextWriter.Null, TextWriter.Null), "");
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Help_and_version_of_every_verb_exit_0_and_change_nothing(string path)
    {
        var before = Snapshot.Take();
        var words = path.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (exit, output, error) = await Vnet([.. words, "--help"]);
        Assert.True(exit == 0, $"vnet {path} --help: exit {exit}\n{error}");
        Assert.Contains("Usage:", output);
        Assert.Contains(("vnet " + path).Trim(), output);
        if (words.Length == 0)
        {
            (exit, output, error) = await Vnet("--version");
            Assert.True(exit == 0, $"vnet --version: exit {exit}\n{error}");
            Assert.Matches(@"^\d+\.\d+\.\d+", output);
        }
        before.AssertUnchanged($"vnet {path} --help");
    }

    [Fact]
    public async Task A_mistyped_verb_gets_a_suggestion_and_exit_2()
    {
        var (exit, _, error) = await Vnet("lab", "inpsect");
        Assert.Equal(2, exit);
        Assert.Contains("did you mean inspect?", error);
        (exit, _, error) = await Vnet("-H", "127.0.0.1:1", "lba", "list");
        Assert.Equal(2, exit);
        Assert.Contains("did you mean lab?", error);
    }

    [Fact]
    public async Task Bash_completes_verbs_and_switches_from_the_generated_script()
    {
        Assert.Equal("inspect iperf", await Bash("vnet", "lab", "i"));
        Assert.Equal("dot mermaid", await Bash("vnet", "lab", "graph", "--format", ""));
        Assert.Contains("--count", (await Bash("vnet", "lab", "pingall", "--c")).Split(' '));
    }

    /// <summary>COMPREPLY of the generated bash completion for the words, the last one being completed.</summary>
    private static async Task<string> Bash(params string[] words)
    {
        var array = string.Join(" ", words.Select(w => $"'{w}'"));
        var script = $"source <('{Binary}' completion bash) && COMP_WORDS=({array}) && COMP_CWORD={words.Length - 1} && _vnet && echo \"${{COMPREPLY[@]}}\"";
        var (exit, output, error) = await Run("bash", ["-c", script]);
        Assert.True(exit == 0, $"bash completion: exit {exit}\n{error}");
        return output.Trim();
    }

    [Fact]
    public async Task Palette_help_typos_and_completion_come_from_the_node_of_a_lab()
    {
        var definition = LabFile.Parse("""
            <lab name="help-one-host">
              <router name="r">
                <interface name="to-h1" subnet="a" address="192.0.2.1/24"/>
              </router>
              <host name="h1">
                <interface name="eth0" subnet="a" address="192.0.2.10/24"/>
              </host>
            </lab>
            """, "help-one-host.xml");
        await using var lab = await LabSession.UpAsync(definition, new LabOptions { CreateLinks = false });
        var id = lab.State.Id;

        var (exit, output, error) = await Vnet("-L", id, "link", "--help");
        Assert.True(exit == 0, $"link --help: exit {exit}\n{error}");
        Assert.Contains("vnet link [command] [options]", output);
        Assert.Contains("create", output);

        (exit, output, error) = await Vnet("-L", id, "link", "create", "--help");
        Assert.True(exit == 0, $"link create --help: exit {exit}\n{error}");
        Assert.Contains("vnet link create [options]", output);
        Assert.Contains("--id <value>", output);

        (exit, _, error) = await Vnet("-L", id, "lnik", "show");
        Assert.Equal(2, exit);
        Assert.Contains("did you mean link?", error);
        (exit, _, error) = await Vnet("-L", id, "link", "craete", "--id", "x");
        Assert.Equal(2, exit);
        Assert.Contains("did you mean create?", error);
        (exit, _, error) = await Vnet("-L", id, "link", "show", "--jsno");
        Assert.Equal(2, exit);
        Assert.Contains("unknown switch --jsno", error);

        (exit, output, error) = await Vnet("-L", id, "hosts");
        Assert.True(exit == 0, $"hosts: exit {exit}\n{error}");
        Assert.Contains("VM/(GiB·GHz²)", output);
        Assert.DoesNotContain("E-", output);

        Assert.Contains("create", (await Bash("vnet", "-L", id, "link", "c")).Split(' '));
        Assert.Contains("--id", (await Bash("vnet", "-L", id, "link", "create", "--")).Split(' '));
        Assert.Contains(id, (await Bash("vnet", "lab", "inspect", "-L", "")).Split(' '));
        Assert.Equal("h1", await Bash("vnet", "lab", "stop", "-L", id, "h"));
        Assert.Equal("h1 r", await Bash("vnet", "lab", "exec", "-L", id, ""));
    }
}
