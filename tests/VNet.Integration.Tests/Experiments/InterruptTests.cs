using VNet.Messages.Commands;
using Xunit.Abstractions;
using VNet.Host.Labs;
using VNet.Integration.Tests.Labs;

namespace VNet.Integration.Tests.Experiments;

/// <summary>Ctrl-C (SIGINT) to a running `vnet experiment run`: what it made is removed, what it measured is written.</summary>
public class InterruptTests(ITestOutputHelper output)
{
    private static string Experiment(string lab) => $"""
        <experiment name="interrupted">
          {lab}
          <timeline>
            <command at="0s">link create --id ex1 --vms vm1,vm2</command>
          </timeline>
          <measurements>
            <ping name="ping" from="vm1" to="vm2" start="0.5s" duration="40s" interval="100ms"/>
            <counters name="ex1" link="ex1" start="0.5s" duration="40s" every="500ms"/>
          </measurements>
        </experiment>
        """;

    private static string Write(string xml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"vnet-experiment-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, xml);
        return file;
    }

    private static void AssertPartialResults(string results)
    {
        var manifest = ExperimentProcess.Manifest(results);
        Assert.True(manifest["interrupted"]!.GetValue<bool>());
        var ping = ExperimentProcess.Csv(Path.Combine(results, "ping.csv"));
        Assert.True(ping.Count >= 10, $"only {ping.Count} ping rows");
        Assert.True(ping.Max(r => r.T) < 20, "the ping ran on after the interrupt");
        Assert.Contains(ping, r => r.Cells["lost"] == "0");
        ExperimentProcess.AssertPng(Path.Combine(results, "ping.png"));
        Assert.Contains("interrupted", File.ReadAllText(Path.Combine(results, "summary.md")));
        Directory.Delete(results, recursive: true);
    }

    [Fact]
    public async Task Sigint_tears_down_the_lab_it_brought_up_and_writes_partial_results()
    {
        var prefix = ExperimentProcess.NewPrefix();
        var results = ExperimentProcess.NewResultsDirectory();
        var file = Write(Experiment($"""<lab file="{Path.Combine(LabSession.RepoRoot, "labs", "two-hosts.xml")}" links="none"/>"""));
        using var vnet = ExperimentProcess.Vnet("experiment", "run", file, "--out", results, "--prefix", prefix);
        try
        {
            await vnet.WaitForLineAsync("step 1/1 link create", TimeSpan.FromSeconds(50));
            await Task.Delay(3000);
            vnet.Interrupt();
            Assert.Equal(130, await vnet.ExitAsync(TimeSpan.FromSeconds(40)));
            ExperimentProcess.AssertNoNamespaces(prefix);
            Assert.Null(LabState.Read(prefix.TrimEnd('-')));
            AssertPartialResults(results);
        }
        finally
        {
            output.WriteLine(vnet.Output);
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Sigint_on_a_running_lab_deletes_the_link_the_experiment_created_and_keeps_the_lab()
    {
        await using var lab = await LabSession.UpAsync("two-hosts", new LabOptions { CreateLinks = false, Prefix = ExperimentProcess.NewPrefix() });
        var results = ExperimentProcess.NewResultsDirectory();
        var file = Write(Experiment("""<lab running="true"/>"""));
        using var vnet = ExperimentProcess.Vnet("experiment", "run", file, "-L", lab.State.Id, "--out", results);
        try
        {
            await vnet.WaitForLineAsync("step 1/1 link create", TimeSpan.FromSeconds(30));
            Assert.Single((await lab.ReplyAsync<LinkList>("h1", new GetLinks())).Links);
            await Task.Delay(3000);
            vnet.Interrupt();
            Assert.Equal(130, await vnet.ExitAsync(TimeSpan.FromSeconds(40)));
            Assert.Contains("link ex1 (created by the run) deleted", vnet.Output);
            Assert.Empty((await lab.ReplyAsync<LinkList>("h1", new GetLinks())).Links);
            Assert.All(lab.State.Namespaces, ns => Assert.Contains(ns, Shell.Namespaces()));
            AssertPartialResults(results);
        }
        finally
        {
            output.WriteLine(vnet.Output);
            File.Delete(file);
        }
    }
}
