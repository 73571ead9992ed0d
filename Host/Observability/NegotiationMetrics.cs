using Prometheus;
using VNet.Actors.Observability;

namespace VNet.Host.Observability;

/// <summary>Counts the HostActor's negotiations as they end (a few per link, never per frame).</summary>
public sealed class NegotiationMetrics : INegotiationObserver
{
    /// <summary>Outcomes, as label values.</summary>
    public static readonly string[] Outcomes = [.. Enum.GetValues<NegotiationOutcome>().Select(o => o.ToString().ToLowerInvariant())];

    private readonly Counter _ended;
    private readonly Histogram _rounds, _duration;

    /// <summary>Registers the negotiation metrics; every outcome and role is present from the start, at 0.</summary>
    public NegotiationMetrics(IMetricFactory factory)
    {
        _ended = factory.CreateCounter("vnet_negotiations_total", "Negotiations of a protocol number that ended on this host, by outcome and by this host's role.", ["outcome", "role"]);
        _rounds = factory.CreateHistogram("vnet_negotiation_rounds", "Proposal rounds of the negotiations this host initiated.",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = [1, 2, 3, 4, 6, 8, 12, 16] });
        _duration = factory.CreateHistogram("vnet_negotiation_duration_seconds", "Time from the start of a negotiation on this host to its end, by outcome and role.",
            new HistogramConfiguration { LabelNames = ["outcome", "role"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });
        foreach (var outcome in Outcomes)
        {
            _rounds.WithLabels(outcome);
            foreach (var role in new[] { "initiator", "responder" })
            {
                _ended.WithLabels(outcome, role);
                _duration.WithLabels(outcome, role);
            }
        }
    }

    /// <inheritdoc/>
    public void Ended(bool initiator, NegotiationOutcome outcome, int rounds, TimeSpan duration)
    {
        var o = outcome.ToString().ToLowerInvariant();
        var role = initiator ? "initiator" : "responder";
        _ended.WithLabels(o, role).Inc();
        _duration.WithLabels(o, role).Observe(duration.TotalSeconds);
        if (initiator && rounds > 0) _rounds.WithLabels(o).Observe(rounds);
    }
}
