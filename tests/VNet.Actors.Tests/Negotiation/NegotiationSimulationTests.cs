using VNet.Actors.Negotiation;
using Xunit.Abstractions;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>
/// The negotiation cores of 500 hosts driven through 10 000 concurrent link requests in virtual time
/// (fixed seeds): the tables stay sound and every request ends in a link or a clear error.
/// </summary>
public sealed class NegotiationSimulationTests(ITestOutputHelper output)
{
    private static readonly SimulationOptions FiveHundredHosts = new(500, 10_000, Seed: 15);

    [Fact]
    public void Per_peer_rule_at_500_hosts_makes_every_link_with_distinct_numbers_per_peer_pair()
    {
        var result = NegotiationSimulation.Run(FiveHundredHosts);
        var summary = NegotiationSimulation.Summarize(result);
        output.WriteLine(summary.ToString());

        Assert.Empty(NegotiationSimulation.Violations(result));
        Assert.Equal(10_000, summary.Agreed);
        // Numbers are unique per peer pair: the links between two hosts never share one.
        foreach (var pair in result.Links.GroupBy(l => (Math.Min(l.Initiator, l.Responder), Math.Max(l.Initiator, l.Responder))))
            Assert.Equal(pair.Count(), pair.Select(l => l.Protocol).Distinct().Count());
        // The hubs carry more than the per-host rule's 110.
        Assert.True(summary.MostLinksOnAHost > 110, $"most links on a host: {summary.MostLinksOnAHost}");
    }

    [Fact]
    public void Per_host_rule_at_500_hosts_ends_every_request_in_a_link_or_a_clear_exhaustion_error()
    {
        var result = NegotiationSimulation.Run(FiveHundredHosts with { Rule = ProtocolNumberRule.PerHost });
        var summary = NegotiationSimulation.Summarize(result);
        output.WriteLine(summary.ToString());

        Assert.Empty(NegotiationSimulation.Violations(result));
        // No two links on a host share a number.
        for (var h = 0; h < result.Tables.Length; h++)
        {
            var numbers = result.Links.Where(l => l.Agreed && (l.Initiator == h || l.Responder == h)).Select(l => l.Protocol).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
            Assert.True(numbers.Count <= 110);
        }
        // The hubs run out of numbers; those requests say so, the others are made.
        Assert.True(summary.Exhausted > 0);
        Assert.All(result.Links.Where(l => !l.Agreed), l => Assert.Matches("no free protocol number|no protocol number is free|no protocol number agreed", l.Failure));
        Assert.Equal(summary.Requests, summary.Agreed + summary.Exhausted + summary.OutOfRounds);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        var small = new SimulationOptions(50, 500, Seed: 7);
        var first = NegotiationSimulation.Run(small).Links;
        var second = NegotiationSimulation.Run(small).Links;
        Assert.Equal(first.Length, second.Length);
        var differ = first.Zip(second).FirstOrDefault(p => p.First != p.Second);
        Assert.True(differ == default, $"{differ.First} vs {differ.Second}");
    }

    [Fact]
    public void Numbers_reused_after_failures_leave_nothing_reserved()
    {
        // Ten hosts, two thousand requests: every table is exhausted many times over.
        var result = NegotiationSimulation.Run(new SimulationOptions(10, 2_000, Seed: 3) { Rule = ProtocolNumberRule.PerHost, Hubs = 0 });

        Assert.Empty(NegotiationSimulation.Violations(result));
        Assert.All(result.Tables, t => Assert.Empty(t.Reserved(DateTime.MaxValue.AddDays(-1))));
        Assert.True(result.Links.Count(l => l.Agreed) <= 10 * 110 / 2);
    }
}
