using System.Collections.Immutable;
using System.Globalization;

namespace VNet.Actors.Negotiation;

/// <summary>What a <see cref="NegotiationSimulation"/> runs.</summary>
/// <param name="Hosts">Hosts, each with its own protocol-number table and substrate address.</param>
/// <param name="Requests">Point-to-point link requests, all arriving within <see cref="ArrivalWindow"/>.</param>
/// <param name="Seed">Seed of every random choice: the same options give the same run.</param>
public sealed record SimulationOptions(int Hosts, int Requests, int Seed)
{
    /// <summary>How far a number must be unique.</summary>
    public ProtocolNumberRule Rule { get; init; } = ProtocolNumberRule.PerPeer;

    /// <summary>Hosts that take part in more links than the others (hubs): 0 for none.</summary>
    public int Hubs { get; init; } = 5;

    /// <summary>Fraction of the requests with one end on a hub (the other end anywhere).</summary>
    public double HubShare { get; init; } = 0.1;

    /// <summary>The requests arrive uniformly within this window of virtual time.</summary>
    public TimeSpan ArrivalWindow { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>One-way latency of a negotiation message, uniform between these.</summary>
    public TimeSpan LatencyMin { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>One-way latency of a negotiation message, uniform between <see cref="LatencyMin"/> and this.</summary>
    public TimeSpan LatencyMax { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Rounds, reservation expiry and timeout, as a host has them.</summary>
    public NegotiationLimits Limits { get; init; } = NegotiationLimits.Default;
}

/// <summary>How one link request ended.</summary>
/// <param name="LinkId">The link.</param>
/// <param name="Initiator">Index of the initiating host.</param>
/// <param name="Responder">Index of the responding host.</param>
/// <param name="Protocol">The agreed number; 0 when the request failed.</param>
/// <param name="Rounds">Proposal rounds the initiator ran.</param>
/// <param name="Noks">NOKs the initiator received.</param>
/// <param name="Failure">Why it failed (the initiator's words), or null.</param>
/// <param name="Took">Virtual time from the request to the agreement (both ends committed) or the failure.</param>
public sealed record SimulatedLink(string LinkId, int Initiator, int Responder, int Protocol, int Rounds, int Noks, string? Failure, TimeSpan Took)
{
    /// <summary>True when both ends committed the number.</summary>
    public bool Agreed => Failure is null;
}

/// <summary>The end of a simulation: every request's outcome and every host's table.</summary>
public sealed record SimulationResult(SimulationOptions Options, ImmutableArray<SimulatedLink> Links, ImmutableArray<ProtocolNumberTable> Tables, ImmutableArray<string> Addresses, TimeSpan Converged);

/// <summary>
/// Drives the pure <see cref="InitiatorCore"/> and <see cref="ResponderCore"/> of many hosts through
/// concurrent OK/NOK negotiations in virtual time, as the NegotiationActor would carry their decisions
/// out: proposals, answers, confirmations and aborts travel with a random latency, ordered by a
/// seeded event queue. Nothing else is modelled (no loss: the actor retransmits; no clock: the
/// cores get the virtual time). Deterministic for a given <see cref="SimulationOptions.Seed"/>.
/// </summary>
public static class NegotiationSimulation
{
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private abstract record Message(int Link);
    private sealed record Start(int Link) : Message(Link);
    private sealed record Propose(int Link, int Protocol, int Round) : Message(Link);
    private sealed record Ok(int Link, int Protocol, int Round) : Message(Link);
    private sealed record Nok(int Link, int Counter, int Round) : Message(Link);
    private sealed record Refuse(int Link, string Reason) : Message(Link);
    private sealed record Confirm(int Link, int Protocol) : Message(Link);
    private sealed record Abort(int Link) : Message(Link);

    private sealed class Negotiation(int initiator, int responder, TimeSpan arrival)
    {
        public int Initiator { get; } = initiator;
        public int Responder { get; } = responder;
        public TimeSpan Arrival { get; } = arrival;
        public InitiatorCore? Core { get; set; }
        public ResponderCore? Answerer { get; set; }
        public int Noks { get; set; }
        public SimulatedLink? Outcome { get; set; }
    }

    /// <summary>Runs the simulation to its end (every request agreed or failed).</summary>
    public static SimulationResult Run(SimulationOptions options)
    {
        if (options.Hosts < 2) throw new ArgumentException($"a simulation needs at least 2 hosts, not {options.Hosts}");
        if (options.Requests < 0) throw new ArgumentException($"requests {options.Requests} is negative");
        var random = new Random(options.Seed);
        var tables = Enumerable.Range(0, options.Hosts).Select(_ => new ProtocolNumberTable()).ToImmutableArray();
        var addresses = Enumerable.Range(0, options.Hosts).Select(h => $"10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}").ToImmutableArray();
        var hostRandoms = Enumerable.Range(0, options.Hosts).Select(h => new Random(unchecked(options.Seed * 1_000_003 + h)) /* not HashCode: it differs per process */).ToArray();
        var hubs = Math.Min(options.Hubs, options.Hosts);

        var negotiations = new Negotiation[options.Requests];
        var queue = new PriorityQueue<Message, (TimeSpan At, long Order)>();
        long order = 0;
        void Send(Message m, TimeSpan at) => queue.Enqueue(m, (at, order++));
        TimeSpan Latency() => options.LatencyMin + (options.LatencyMax - options.LatencyMin) * random.NextDouble();

        for (var i = 0; i < options.Requests; i++)
        {
            var a = hubs > 0 && random.NextDouble() < options.HubShare ? random.Next(hubs) : random.Next(options.Hosts);
            int b;
            do b = random.Next(options.Hosts); while (b == a);
            var arrival = options.ArrivalWindow * random.NextDouble();
            negotiations[i] = new Negotiation(a, b, arrival);
            Send(new Start(i), arrival);
        }

        var converged = TimeSpan.Zero;
        while (queue.TryDequeue(out var message, out var when))
        {
            var now = Epoch + when.At;
            var n = negotiations[message.Link];
            var owner = $"n{message.Link}";
            var linkId = $"l{message.Link + 1}";
            string Scope(int self, int peer) => options.Rule == ProtocolNumberRule.PerPeer ? addresses[peer] : ProtocolNumberTable.HostWide;

            void End(int protocol, string? failure)
            {
                n.Outcome = new SimulatedLink(linkId, n.Initiator, n.Responder, protocol, n.Core!.Round, n.Noks, failure, when.At - n.Arrival);
                if (when.At > converged) converged = when.At;
            }

            void CarryInitiator(Decision decision)
            {
                switch (decision)
                {
                    case Decision.Propose p:
                        Send(new Propose(message.Link, p.Protocol, p.Round), when.At + Latency());
                        break;
                    case Decision.Agreed agreed:
                        Send(new Confirm(message.Link, agreed.Protocol), when.At + Latency());
                        break;
                    case Decision.Fail fail:
                        if (n.Answerer is not null) Send(new Abort(message.Link), when.At + Latency());
                        End(0, fail.Reason);
                        break;
                }
            }

            switch (message)
            {
                case Start:
                    n.Core = new InitiatorCore(tables[n.Initiator], hostRandoms[n.Initiator], owner, linkId, [addresses[n.Responder]], options.Limits, Scope(n.Initiator, n.Responder));
                    CarryInitiator(n.Core.Start(now));
                    break;
                case Propose p:
                    n.Answerer ??= new ResponderCore(tables[n.Responder], hostRandoms[n.Responder], owner, linkId, options.Limits, Scope(n.Responder, n.Initiator));
                    switch (n.Answerer.OnPropose(p.Protocol, now))
                    {
                        case Decision.Ok ok: Send(new Ok(p.Link, ok.Protocol, p.Round), when.At + Latency()); break;
                        case Decision.Nok nok: Send(new Nok(p.Link, nok.CounterProposal, p.Round), when.At + Latency()); break;
                        case Decision.Fail fail: Send(new Refuse(p.Link, fail.Reason), when.At + Latency()); break;
                    }
                    break;
                case Ok ok:
                    CarryInitiator(n.Core!.OnOk(addresses[n.Responder], ok.Protocol, ok.Round, now));
                    break;
                case Nok nok:
                    n.Noks++;
                    CarryInitiator(n.Core!.OnNok(addresses[n.Responder], nok.Counter, nok.Round, now));
                    break;
                case Refuse refuse:
                    End(0, n.Core!.Abandon($"host {addresses[n.Responder]} refused: {refuse.Reason}").Reason);
                    break;
                case Confirm confirm:
                    switch (n.Answerer!.OnConfirm(confirm.Protocol, now))
                    {
                        case Decision.Agreed agreed:
                            End(agreed.Protocol, null);
                            break;
                        case Decision.Fail fail:
                            // The initiator committed but this end could not: undo the initiator's number too.
                            tables[n.Initiator].Release(linkId);
                            End(0, fail.Reason);
                            break;
                    }
                    break;
                case Abort:
                    n.Answerer?.Abandon("initiator aborted");
                    break;
            }
        }
        return new SimulationResult(options, [.. negotiations.Select(n => n.Outcome!)], tables, addresses, converged);
    }

    /// <summary>
    /// Every way the tables break the rules: two uses of one number in one scope, a host-wide use
    /// beside another, an agreed link whose ends differ or are missing, anything left reserved, a
    /// request without an end. Empty when the run is sound.
    /// </summary>
    public static ImmutableArray<string> Violations(SimulationResult result)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var end = Epoch + result.Converged;
        for (var h = 0; h < result.Tables.Length; h++)
        {
            var uses = result.Tables[h].Uses(end);
            foreach (var reserved in uses.Where(u => !u.Committed))
                problems.Add($"host {h}: number {reserved.Protocol} is still reserved by {reserved.Owner}");
            foreach (var number in uses.GroupBy(u => u.Protocol))
            {
                if (number.Any(u => u.Scope == ProtocolNumberTable.HostWide) && number.Count() > 1)
                    problems.Add($"host {h}: number {number.Key} is used host-wide and also by {string.Join(", ", number.Select(u => u.Owner))}");
                foreach (var scope in number.GroupBy(u => u.Scope).Where(g => g.Count() > 1))
                    problems.Add($"host {h}: number {number.Key} is used {scope.Count()} times toward '{scope.Key}'");
            }
        }
        var committed = result.Tables.Select(t => t.Uses(end).Where(u => u.Committed).ToDictionary(u => u.Owner, u => u.Protocol)).ToArray();
        foreach (var link in result.Links)
        {
            if (link is null) { problems.Add("a request has no outcome"); continue; }
            var atInitiator = committed[link.Initiator].GetValueOrDefault(link.LinkId);
            var atResponder = committed[link.Responder].GetValueOrDefault(link.LinkId);
            if (link.Agreed && (atInitiator != link.Protocol || atResponder != link.Protocol))
                problems.Add($"{link.LinkId}: agreed on {link.Protocol}, but host {link.Initiator} holds {atInitiator} and host {link.Responder} {atResponder}");
            if (!link.Agreed && (atInitiator != 0 || atResponder != 0))
                problems.Add($"{link.LinkId}: failed ({link.Failure}) yet holds a number");
            if (!link.Agreed && string.IsNullOrWhiteSpace(link.Failure))
                problems.Add($"{link.LinkId}: failed without a reason");
        }
        return problems.ToImmutable();
    }

    /// <summary>The figures of a run: rounds per link, NOK rate, exhaustion, fairness, times.</summary>
    public static SimulationSummary Summarize(SimulationResult result)
    {
        var links = result.Links;
        var agreed = links.Where(l => l.Agreed).ToList();
        var rounds = links.Select(l => l.Rounds).Order().ToArray();
        var proposals = links.Sum(l => (long)l.Rounds);
        var exhausted = links.Count(l => !l.Agreed && l.Failure!.Contains("no free protocol number", StringComparison.Ordinal) || !l.Agreed && l.Failure!.Contains("is free both here", StringComparison.Ordinal));
        var outOfRounds = links.Count(l => !l.Agreed && l.Failure!.Contains("rounds", StringComparison.Ordinal));
        // Fairness over hosts: the share of each host's requests that ended in a link; Jain's index of those shares.
        var perHost = new (int Asked, int Made)[result.Tables.Length];
        foreach (var l in links)
            foreach (var h in new[] { l.Initiator, l.Responder })
                perHost[h] = (perHost[h].Asked + 1, perHost[h].Made + (l.Agreed ? 1 : 0));
        var shares = perHost.Where(p => p.Asked > 0).Select(p => (double)p.Made / p.Asked).ToArray();
        var jain = shares.Length == 0 ? 1 : Math.Pow(shares.Sum(), 2) / (shares.Length * shares.Sum(s => s * s));
        var took = links.Select(l => l.Took.TotalMilliseconds).Order().ToArray();
        return new SimulationSummary(
            Requests: links.Length,
            Agreed: agreed.Count,
            MeanRounds: rounds.Length == 0 ? 0 : rounds.Average(),
            P99Rounds: Percentile(rounds.Select(r => (double)r).ToArray(), 0.99),
            MaxRounds: rounds.Length == 0 ? 0 : rounds[^1],
            NokRate: proposals == 0 ? 0 : links.Sum(l => (long)l.Noks) / (double)proposals,
            Exhausted: exhausted,
            OutOfRounds: outOfRounds,
            OtherFailures: links.Length - agreed.Count - exhausted - outOfRounds,
            MinHostShare: shares.Length == 0 ? 1 : shares.Min(),
            JainFairness: jain,
            MostLinksOnAHost: result.Tables.Max(t => t.Uses(Epoch + result.Converged).Count(u => u.Committed)),
            MedianTookMs: Percentile(took, 0.5),
            P99TookMs: Percentile(took, 0.99),
            ConvergedMs: result.Converged.TotalMilliseconds,
            RoundHistogram: [.. links.GroupBy(l => l.Rounds).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()))]);
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

/// <summary>The figures of one simulation run.</summary>
public sealed record SimulationSummary(int Requests, int Agreed, double MeanRounds, double P99Rounds, int MaxRounds, double NokRate,
    int Exhausted, int OutOfRounds, int OtherFailures, double MinHostShare, double JainFairness, int MostLinksOnAHost,
    double MedianTookMs, double P99TookMs, double ConvergedMs, ImmutableArray<(int Rounds, int Links)> RoundHistogram)
{
    /// <summary>One line for logs and test output.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Agreed}/{Requests} agreed, rounds mean {MeanRounds:0.000} p99 {P99Rounds} max {MaxRounds}, NOK rate {NokRate:P2}, exhausted {Exhausted}, out of rounds {OutOfRounds}, other {OtherFailures}, min host share {MinHostShare:P1}, Jain {JainFairness:0.0000}, most links on a host {MostLinksOnAHost}, median {MedianTookMs:0.0} ms, p99 {P99TookMs:0.0} ms, converged at {ConvergedMs:0} ms");
}
