using VNet.Messages;
using System.Collections.Immutable;
using VNet.Actors.Networks;
using VNet.Host.Experiments;

namespace VNet.Host.Tests.Experiments;

/// <summary>Experiment files: every problem located at file:line:column, sweeps expanded with their values.</summary>
public class ExperimentFileTests
{
    private static readonly LabTopology ThreeHosts = new("three-hosts.xml", ["vm1", "vm2", "vm3"], ["h1", "h2", "h3"]);

    private static ExperimentDefinition Parse(string xml) =>
        ExperimentFile.Parse(xml, "e.xml", PaletteCatalog.Definitions, _ => ThreeHosts);

    private static IReadOnlyList<FileProblem> Problems(string xml)
    {
        var e = Assert.Throws<NetworkFileException>(() => Parse(xml));
        foreach (var p in e.Problems)
        {
            Assert.True(p.Line > 0 && p.Column > 0, $"not located: {p}");
            Assert.StartsWith($"e.xml:{p.Line}:{p.Column}: ", p.ToString());
        }
        return e.Problems;
    }

    private static string File(string timeline, string measurements = "<ping name=\"p\" from=\"vm1\" to=\"vm2\" duration=\"5s\"/>", string sweep = "") => $"""
        <experiment name="t">
          <lab file="three-hosts.xml"/>
        {sweep}  <timeline>
        {timeline}
          </timeline>
          <measurements>
            {measurements}
          </measurements>
        </experiment>
        """;

    [Fact]
    public void A_valid_file_gives_its_steps_with_absolute_and_relative_times_resolved()
    {
        var e = Parse(File("""
                <command at="0s">link set --id seg1 --bandwidth 20M</command>
                <command at="5s">link set --id seg1 --bandwidth 60M</command>
                <host after="2.5s" name="h3" action="kill"/>
                <host after="500ms" name="h3" action="start"/>
            """));
        var run = Assert.Single(e.Runs);
        Assert.Equal([0, 5, 7.5, 8], run.Steps.Select(s => s.At.TotalSeconds));
        Assert.Equal("link set --id seg1 --bandwidth 60M", ((CommandStep)run.Steps[1]).CommandLine);
        Assert.Equal(HostAction.Kill, ((HostStep)run.Steps[2]).Action);
        Assert.Equal(TimeSpan.FromSeconds(8), run.Length);
    }

    [Fact]
    public void Unknown_palette_command_and_switch_are_each_reported_at_their_step()
    {
        var problems = Problems(File("""
            <command at="0s">lnk set --id seg1</command>
            <command at="1s">link sett --id seg1</command>
            <command at="2s">link set --id seg1 --bandwith 20M</command>
            <command at="3s">link set --bandwidth 20M</command>
            """));
        Assert.Equal(4, problems.Count);
        Assert.Contains("unknown palette 'lnk'", problems[0].Message);
        Assert.Equal(4, problems[0].Line);
        Assert.Contains("unknown command 'link sett'", problems[1].Message);
        Assert.Equal(5, problems[1].Line);
        Assert.Contains("unknown switch --bandwith", problems[2].Message);
        Assert.Contains("--id is required", problems[3].Message);
        Assert.Equal(7, problems[3].Line);
    }

    [Fact]
    public void Time_going_backwards_is_reported_at_the_at_attribute_naming_the_previous_step()
    {
        var problems = Problems(File("""
            <command at="10s">link set --id seg1 --loss 2</command>
            <command at="5s">link set --id seg1 --loss 0</command>
            """));
        var p = Assert.Single(problems);
        Assert.Equal(5, p.Line);
        Assert.Equal(10, p.Column);
        Assert.Contains("at 5s is before the previous step at 10s (line 4): time goes backwards", p.Message);
    }

    [Fact]
    public void A_measurement_on_an_unknown_VM_names_the_lab_s_VMs()
    {
        var p = Assert.Single(Problems(File("", """<iperf name="tcp" from="vm1" to="vm9" duration="5s"/>""")));
        Assert.Contains("tcp: unknown VM 'vm9' (VMs of three-hosts.xml: vm1, vm2, vm3)", p.Message);
        Assert.Equal(7, p.Line);
    }

    [Fact]
    public void An_unknown_host_in_a_lab_step_is_reported()
    {
        var p = Assert.Single(Problems(File("""<host at="1s" name="h7" action="kill"/>""")));
        Assert.Contains("unknown host 'h7'", p.Message);
    }

    [Fact]
    public void Bad_units_and_intervals_are_reported_where_they_are_written()
    {
        var problems = Problems(File("""<command at="5 sec">link show</command>""",
            """<iperf name="u" protocol="udp" rate="fast" from="vm1" to="vm2" duration="5s" interval="2s"/>"""));
        Assert.Contains(problems, p => p.Message.Contains("at '5 sec' is not a duration such as 500ms, 5s or 2m") && p.Line == 4);
        Assert.Contains(problems, p => p.Message.Contains("rate 'fast' is not a rate") && p.Line == 7);
        Assert.Contains(problems, p => p.Message.Contains("interval 2s must be 100ms-1s"));
    }

    [Fact]
    public void Overlapping_iperf_runs_between_the_same_VMs_are_refused_but_one_after_the_other_is_fine()
    {
        var overlapping = """
            <iperf name="a" from="vm1" to="vm2" duration="5s"/>
                <iperf name="b" from="vm2" to="vm1" start="4s" duration="5s"/>
            """;
        var p = Assert.Single(Problems(File("", overlapping)));
        Assert.Contains("iperf b overlaps iperf a (line 7)", p.Message);
        var sequential = Parse(File("", overlapping.Replace("start=\"4s\"", "start=\"5s\"")));
        Assert.Equal(2, sequential.Runs[0].Measurements.Length);
    }

    [Fact]
    public void A_sweep_expands_to_every_combination_times_the_repetitions_with_values_substituted()
    {
        var e = Parse(File("""<command at="0s">link create --id l1 --vms vm1,vm2 --kind ${kind}</command>""",
            """<iperf name="udp" protocol="udp" rate="${rate}" from="vm1" to="vm2" start="1s" duration="3s"/>""",
            """
              <sweep repeat="2">
                <parameter name="kind" values="raw-p2p udp-p2p"/>
                <parameter name="rate" values="10M 50M 100M"/>
              </sweep>

            """));
        Assert.Equal(12, e.Runs.Length);
        Assert.Equal(6, e.Runs.Count(r => r.Repetition == 0));
        var run = e.Runs.Single(r => r.Repetition == 1 && r.Bindings["kind"] == "udp-p2p" && r.Bindings["rate"] == "50M");
        Assert.Equal("link create --id l1 --vms vm1,vm2 --kind udp-p2p", ((CommandStep)run.Steps[0]).CommandLine);
        Assert.Equal(50_000_000, ((IperfMeasurement)run.Measurements[0]).RateBitsPerSecond);
        Assert.Equal("kind=udp-p2p rate=50M #2", run.Label);
    }

    [Fact]
    public void A_bad_value_of_a_sweep_is_reported_once_where_it_is_used_and_an_unknown_parameter_where_it_is_named()
    {
        var problems = Problems(File("""<command at="0s">link set --id seg1 --bandwidth ${bw}</command>""",
            """<iperf name="udp" protocol="udp" rate="${rate}" from="vm1" to="vm2" duration="3s"/>""",
            """
              <sweep>
                <parameter name="rate" values="10M lots"/>
              </sweep>

            """));
        Assert.Equal(2, problems.Count);
        Assert.Contains("${bw} names no parameter (parameters: rate)", problems[0].Message);
        Assert.Contains("rate 'lots' is not a rate", problems[1].Message);
    }

    [Fact]
    public void The_schema_catches_a_misplaced_element()
    {
        var problems = Problems("""
            <experiment name="t">
              <measurements><ping name="p" from="vm1" to="vm2" duration="5s"/></measurements>
              <lab file="three-hosts.xml"/>
            </experiment>
            """);
        Assert.Contains(problems, p => p.Message.StartsWith("schema:"));
    }

    [Fact]
    public void A_broken_lab_file_is_reported_at_the_lab_element()
    {
        var e = Assert.Throws<NetworkFileException>(() => ExperimentFile.Parse(File(""), "e.xml", PaletteCatalog.Definitions,
            _ => throw new NetworkFileException([new FileProblem("three-hosts.xml", 3, 4, "VM 'vm1' is declared 2 times")])));
        var p = Assert.Single(e.Problems);
        Assert.Equal(2, p.Line);
        Assert.Contains("lab file: three-hosts.xml:3:4: VM 'vm1' is declared 2 times", p.Message);
    }

    [Theory]
    [InlineData("../../../../../experiments/bandwidth-step.xml")]
    [InlineData("../../../../../experiments/paper-figures.xml")]
    public void The_shipped_experiments_check(string relative)
    {
        var path = Path.Combine(AppContext.BaseDirectory, relative);
        var e = ExperimentFile.Load(path);
        Assert.NotEmpty(e.Runs);
        Assert.All(e.Runs, r => Assert.NotEmpty(r.Measurements));
    }
}
