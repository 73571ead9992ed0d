using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Console;

/// <summary>
/// The interactive console in a real pseudo-terminal (tmux), against a lab node: Tab completes a
/// palette and a command, Up recalls the last line, Ctrl-C stops `cluster tail` and the prompt
/// comes back, history survives a restart of the console, Ctrl-D leaves.
/// </summary>
public sealed class ReplTests
{
    private sealed class Pane(string session) : IDisposable
    {
        public static Pane Start(string command, string home)
        {
            var session = $"vnet-repl-{Random.Shared.Next(0x10000):x4}";
            Shell.Run("tmux", ["new-session", "-d", "-s", session, "-x", "160", "-y", "50", $"env HOME={Shell.Quote(home)} {command}; echo CONSOLE-EXITED $?; sleep 60"]);
            return new Pane(session);
        }

        public void Keys(params string[] keys) => Shell.Run("tmux", ["send-keys", "-t", session, .. keys]);

        public string Screen() => Shell.Run("tmux", ["capture-pane", "-t", session, "-p", "-S", "-200"]).Output;

        public async Task<string> WaitFor(Func<string, bool> done, string what, double seconds = 15)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (true)
            {
                var screen = Screen();
                if (done(screen)) return screen;
                if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"waited {seconds} s for {what}; the terminal shows:\n{screen}");
                await Task.Delay(200);
            }
        }

        public void Dispose() => Shell.Run("tmux", ["kill-session", "-t", session], check: false);
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task Completion_history_and_ctrl_c_work_in_a_terminal()
    {
        await using var lab = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = false });
        var home = Directory.CreateTempSubdirectory("vnet-repl-").FullName;
        var bin = Environment.GetEnvironmentVariable("VNET_HOST_BIN") ?? Path.Combine(LabSession.RepoRoot, ".run", "bin", "VNet.Host");
        var prompt = $"vnet h1@{lab.State.Id}>";
        try
        {
            using (var pane = Pane.Start($"{Shell.Quote(bin)} -L {lab.State.Id}", home))
            {
                await pane.WaitFor(s => s.Contains(prompt), "the prompt naming the node and the lab");
                // Tab completes the palette ("clu" -> "cluster"), then the command ("sh" -> "show").
                pane.Keys("clu", "Tab");
                await pane.WaitFor(s => s.Contains($"{prompt} cluster"), "the palette completed");
                pane.Keys(" sh", "Tab");
                await pane.WaitFor(s => s.Contains($"{prompt} cluster show"), "the command completed");
                pane.Keys("Enter");
                await pane.WaitFor(s => s.Contains("cluster of 2 member(s)"), "cluster show's table");

                // Ctrl-C stops a streaming command and the prompt comes back, connected.
                pane.Keys("cluster tail --seconds 60", "Enter");
                await pane.WaitFor(s => Count(s, " Up akka.ssl.tcp://") >= 2, "tail's first events");
                pane.Keys("C-c");
                var afterStop = await pane.WaitFor(s => s.Contains("stopped (Ctrl-C)") && s.TrimEnd().EndsWith(prompt, StringComparison.Ordinal), "the prompt after Ctrl-C", 10);
                Assert.DoesNotContain("CONSOLE-EXITED", afterStop);

                // Up recalls the last line.
                pane.Keys("Up");
                await pane.WaitFor(s => s.TrimEnd().EndsWith($"{prompt} cluster tail --seconds 60", StringComparison.Ordinal), "Up recalling the last line");
                pane.Keys("C-u");
                await pane.WaitFor(s => s.TrimEnd().EndsWith(prompt, StringComparison.Ordinal), "Ctrl-U clearing the line");
                pane.Keys("C-d");
                await pane.WaitFor(s => s.Contains("CONSOLE-EXITED"), "Ctrl-D leaving the console");
            }
            // History is kept across sessions.
            Assert.Equal(["cluster show", "cluster tail --seconds 60"], File.ReadAllLines(Path.Combine(home, ".vnet_history")));
            using (var pane = Pane.Start($"{Shell.Quote(bin)} -L {lab.State.Id}", home))
            {
                await pane.WaitFor(s => s.Contains(prompt), "the prompt");
                pane.Keys("Up", "Up");
                await pane.WaitFor(s => s.TrimEnd().EndsWith($"{prompt} cluster show", StringComparison.Ordinal), "history from the last session");
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
