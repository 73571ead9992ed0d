using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using VNet.Messages;
using Msg = VNet.Messages.NegotiationProtocol;

namespace VNet.Actors.Negotiation;

/// <summary>
/// One OK/NOK negotiation, as initiator or responder, around the pure
/// <see cref="InitiatorCore"/> / <see cref="ResponderCore"/>. Reports <see cref="Succeeded"/> or
/// <see cref="Failed"/> to its parent (the HostActor) and stops.
/// <para>
/// States of the initiator: <c>Proposing</c> (the proposal of the current round is out, no
/// responder has accepted it yet) → <c>AwaitingAnswers</c> (some responders of a segment accepted,
/// the others have not answered) → <c>Ended</c> (agreed and confirmed, or failed); a NOK starts a
/// new round in <c>Proposing</c>. States of the responder: <c>Offered</c> (created for a proposal,
/// nothing answered yet) → <c>Accepted</c> (answered OK, holds the number until the confirmation)
/// or <c>CounterProposed</c> (answered NOK, holds the counter-proposal) → <c>Confirmed</c> or
/// <c>Ended</c>. A message that does not belong to the current state (a confirmation before any
/// proposal, a second OK from the same responder, anything after the end) is logged and ignored.
/// </para>
/// </summary>
public sealed class NegotiationActor : ReceiveActor, IWithTimers
{
    /// <summary>The negotiation ended with a committed number; <see cref="Link"/> is the final description.</summary>
    public sealed record Succeeded(Guid NegotiationId, LinkSpec Link, bool Initiator)
    {
        /// <summary>Proposal rounds the initiator ran (0 on the responder, which does not count them).</summary>
        public int Rounds { get; init; }
    }

    /// <summary>The negotiation failed; nothing it reserved remains.</summary>
    public sealed record Failed(Guid NegotiationId, string LinkId, string Reason, bool Initiator)
    {
        /// <summary>Proposal rounds the initiator ran (0 on the responder, which does not count them).</summary>
        public int Rounds { get; init; }
    }

    private sealed record Retransmit
    {
        public static Retransmit Instance { get; } = new();
    }

    private sealed record GiveUp
    {
        public static GiveUp Instance { get; } = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Guid _id;
    private readonly string _self;
    private readonly IActorRef _mediator;
    private readonly NegotiationLimits _limits;
    private LinkSpec _link;

    // Initiator
    private readonly InitiatorCore? _initiator;
    private readonly Dictionary<string, IActorRef> _responderRefs = new();
    private readonly HashSet<string> _answered = new();
    private readonly HashSet<string> _acceptedThisRound = new();

    // Responder
    private readonly ResponderCore? _responder;
    private Msg.INegotiationReply? _lastReply;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props of the initiator of <paramref name="link"/>; <paramref name="self"/> is this host's name and
    /// <paramref name="scope"/> the table scope its number is taken in (<see cref="ProtocolScopes.For"/>).
    /// </summary>
    public static Props Initiator(Guid id, LinkSpec link, string self, ProtocolNumberTable table, IActorRef mediator, NegotiationLimits limits, Random random,
        string scope = ProtocolNumberTable.HostWide) =>
        Akka.Actor.Props.Create(() => new NegotiationActor(id, link, self, table, mediator, limits, random, true, scope));

    /// <summary>Props of a responder to a proposal of <paramref name="link"/>, holding its number in <paramref name="scope"/>.</summary>
    public static Props Responder(Guid id, LinkSpec link, string self, ProtocolNumberTable table, NegotiationLimits limits, Random random,
        string scope = ProtocolNumberTable.HostWide) =>
        Akka.Actor.Props.Create(() => new NegotiationActor(id, link, self, table, ActorRefs.Nobody, limits, random, false, scope));

    public NegotiationActor(Guid id, LinkSpec link, string self, ProtocolNumberTable table, IActorRef mediator, NegotiationLimits limits, Random random, bool initiator,
        string scope = ProtocolNumberTable.HostWide)
    {
        _id = id;
        _link = link;
        _self = self;
        _mediator = mediator;
        _limits = limits;
        if (initiator)
        {
            // The initiator chooses the link key, a new one per negotiation (so a re-created link never
            // reuses the nonces of its previous life); it reaches the responders inside the proposal.
            _link = link with { Key = ImmutableArray.Create(System.Security.Cryptography.RandomNumberGenerator.GetBytes(LinkSpec.KeyLength)) };
            var responders = link.Endpoints.Select(e => e.Host).Where(h => h != self).Distinct().ToList();
            _initiator = new InitiatorCore(table, random, id.ToString(), link.Id, responders, limits, scope);
            Become(Proposing);
        }
        else
        {
            _responder = new ResponderCore(table, random, id.ToString(), link.Id, limits, scope);
            Become(Offered);
        }
    }

    private static DateTime Now => DateTime.UtcNow;

    /// <inheritdoc/>
    protected override void PreStart()
    {
        Timers.StartSingleTimer(GiveUp.Instance, GiveUp.Instance, _initiator is null ? _limits.ReservationTtl : _limits.Timeout);
        if (_initiator is not null) Carry(_initiator.Start(Now, _link.Kind.IsKernel() ? 0 : _link.PreferredProtocol));
    }

    private bool Ours(INegotiationMessage m) => m switch
    {
        Msg.Propose p => p.NegotiationId == _id,
        Msg.Ok ok => ok.NegotiationId == _id,
        Msg.Nok nok => nok.NegotiationId == _id,
        Msg.Refuse r => r.NegotiationId == _id,
        Msg.Confirm c => c.NegotiationId == _id,
        Msg.Abort a => a.NegotiationId == _id,
        _ => false,
    };

    /// <summary>The end of every state: what does not belong in it is logged and dropped.</summary>
    private void IgnoreTheRest(string state) =>
        ReceiveAny(m => _log.Info("link {0}: negotiation {1} ignored {2} while {3}", _link.Id, _id, m.GetType().Name, state));

    // ---------------------------------------------------------------- initiator

    private void Proposing()
    {
        InitiatorAnswers();
        IgnoreTheRest("proposing");
    }

    private void AwaitingAnswers()
    {
        Receive<Msg.Ok>(ok => Ours(ok) && ok.Round == _initiator!.Round && _acceptedThisRound.Contains(ok.Responder), ok =>
            _log.Debug("link {0}: a second OK from {1} for round {2} ignored", _link.Id, ok.Responder, ok.Round));
        InitiatorAnswers();
        IgnoreTheRest("awaiting answers");
    }

    private void InitiatorAnswers()
    {
        Receive<Msg.Ok>(ok => Ours(ok), ok =>
        {
            _responderRefs[ok.Responder] = Sender;
            _answered.Add(ok.Responder);
            if (ok.Round == _initiator!.Round && ok.Protocol == _initiator.Current) _acceptedThisRound.Add(ok.Responder);
            MergeResponderEnd(ok.Responder, ok.Link);
            Carry(_initiator.OnOk(ok.Responder, ok.Protocol, ok.Round, Now));
        });
        Receive<Msg.Nok>(nok => Ours(nok), nok =>
        {
            _responderRefs[nok.Responder] = Sender;
            _answered.Add(nok.Responder);
            _log.Debug("link {0}: {1} has {2} taken, counter-proposes {3}", _link.Id, nok.Responder, _initiator!.Current, nok.CounterProposal);
            Carry(_initiator.OnNok(nok.Responder, nok.CounterProposal, nok.Round, Now));
        });
        Receive<Msg.Refuse>(r => Ours(r), r =>
        {
            _responderRefs[r.Responder] = Sender;
            Carry(_initiator!.Abandon($"host {r.Responder} refused link {_link.Id}: {r.Reason}"));
        });
        Receive<Retransmit>(_ => SendProposal());
        Receive<GiveUp>(_ =>
        {
            var silent = _link.Endpoints.Select(e => e.Host).Where(h => h != _self && !_answered.Contains(h)).Distinct().ToList();
            var why = silent.Count > 0
                ? $"no answer from host {string.Join(", ", silent)} within {_limits.Timeout.TotalSeconds:0.#} s (is it in the cluster?)"
                : $"no agreement within {_limits.Timeout.TotalSeconds:0.#} s";
            Carry(_initiator!.Abandon(why));
        });
    }

    private void Carry(Decision decision)
    {
        switch (decision)
        {
            case Decision.Propose:
                _acceptedThisRound.Clear();
                Become(Proposing);
                SendProposal();
                // Proposals are retransmitted until answered: the first may go out before the pub-sub
                // subscription of a freshly started node has spread through the cluster.
                Timers.StartPeriodicTimer(Retransmit.Instance, Retransmit.Instance, TimeSpan.FromMilliseconds(500));
                break;
            case Decision.Wait when _acceptedThisRound.Count > 0:
                Become(AwaitingAnswers);
                break;
            case Decision.Agreed agreed:
                _link = _link.WithNegotiated(agreed.Protocol);
                foreach (var r in _responderRefs.Values) r.Tell(new Msg.Confirm(_id, agreed.Protocol));
                End(new Succeeded(_id, _link, true) { Rounds = _initiator!.Round });
                break;
            case Decision.Fail fail:
                foreach (var r in _responderRefs.Values) r.Tell(new Msg.Abort(_id, fail.Reason));
                End(new Failed(_id, _link.Id, fail.Reason, true) { Rounds = _initiator!.Round });
                break;
        }
    }

    private void SendProposal()
    {
        var proposal = new Msg.Propose(_id, _link, _initiator!.Current, _initiator.Round);
        // Round 1 goes to the topic (the multicast group of the protocol); later rounds straight to whoever answered,
        // plus the topic for members that have not answered yet.
        foreach (var r in _responderRefs.Values) r.Tell(proposal);
        if (_responderRefs.Count < _link.Endpoints.Select(e => e.Host).Where(h => h != _self).Distinct().Count())
            _mediator.Tell(new Publish(Msg.Topic, proposal));
    }

    private void MergeResponderEnd(string responder, LinkSpec theirs)
    {
        var end = theirs.EndpointOn(responder);
        if (end is null) return;
        _link = _link with { Endpoints = _link.Endpoints.Select(e => e.Host == responder ? e with { Port = end.Port } : e).ToImmutableArray() };
    }

    /// <summary>Reports the outcome to the host and stops; whatever arrives meanwhile is ignored.</summary>
    private void End(object outcome)
    {
        Timers.CancelAll();
        Become(() => IgnoreTheRest(outcome is Succeeded ? "agreed" : "failed"));
        Context.Parent.Tell(outcome);
        Context.Stop(Self);
    }

    // ---------------------------------------------------------------- responder

    private void Offered()
    {
        Receive<Msg.Propose>(p => Ours(p), Answer);
        ResponderEndings();
        Receive<Msg.Confirm>(c => Ours(c), c =>
            _log.Warning("link {0}: confirmation of protocol number {1} before any proposal was answered; ignored", _link.Id, c.Protocol));
        IgnoreTheRest("offered");
    }

    private void Accepted()
    {
        Receive<Msg.Propose>(p => Ours(p), ProposedAgain);
        Receive<Msg.Confirm>(c => Ours(c), c =>
        {
            switch (_responder!.OnConfirm(c.Protocol, Now))
            {
                case Decision.Agreed agreed:
                    End(new Succeeded(_id, _link.WithNegotiated(agreed.Protocol), false));
                    break;
                case Decision.Fail fail:
                    End(new Failed(_id, _link.Id, fail.Reason, false));
                    break;
            }
        });
        ResponderEndings();
        IgnoreTheRest("accepted");
    }

    private void CounterProposed()
    {
        Receive<Msg.Propose>(p => Ours(p), ProposedAgain);
        Receive<Msg.Confirm>(c => Ours(c), c =>
            _log.Warning("link {0}: confirmation of protocol number {1} after this host answered NOK({2}); ignored", _link.Id, c.Protocol, _responder!.Held));
        ResponderEndings();
        IgnoreTheRest("counter-proposed");
    }

    private void ResponderEndings()
    {
        Receive<Msg.Abort>(a => Ours(a), a =>
        {
            _responder!.Abandon(a.Reason);
            End(new Failed(_id, _link.Id, $"initiator aborted: {a.Reason}", false));
        });
        Receive<GiveUp>(_ =>
        {
            var fail = _responder!.Abandon($"initiator went silent for {_limits.ReservationTtl.TotalSeconds:0.#} s");
            End(new Failed(_id, _link.Id, fail.Reason, false));
        });
    }

    /// <summary>A proposal after this side answered one: an earlier round is stale, the same round a retransmission.</summary>
    private void ProposedAgain(Msg.Propose p)
    {
        // Round 1 comes through the topic, later rounds straight from the initiator, so a late
        // copy of an earlier round can arrive after a later one was answered. The initiator has
        // moved on; answering it would drop the number this side accepted since.
        if (p.Round < _lastReply!.Round) return;
        if (p.Round == _lastReply.Round)
        {
            Sender.Tell(_lastReply); // a retransmitted proposal: answer the same
            return;
        }
        Answer(p);
    }

    private void Answer(Msg.Propose p)
    {
        Timers.StartSingleTimer(GiveUp.Instance, GiveUp.Instance, _limits.ReservationTtl);
        switch (_responder!.OnPropose(p.Protocol, Now))
        {
            case Decision.Ok ok:
                _link = _link.WithNegotiated(ok.Protocol);
                Reply(new Msg.Ok(_id, _self, ok.Protocol, p.Round, _link));
                Become(Accepted);
                break;
            case Decision.Nok nok:
                Reply(new Msg.Nok(_id, _self, nok.CounterProposal, p.Round, _link.WithNegotiated(nok.CounterProposal)));
                Become(CounterProposed);
                break;
            case Decision.Fail fail:
                Sender.Tell(new Msg.Refuse(_id, _self, fail.Reason));
                End(new Failed(_id, _link.Id, fail.Reason, false));
                break;
        }
    }

    private void Reply(Msg.INegotiationReply reply)
    {
        _lastReply = reply;
        Sender.Tell(reply);
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        // Stopped from outside (host shutting down) in the middle: leave nothing reserved.
        // A committed number belongs to the link id, not to this negotiation, so it is not touched.
        _initiator?.Abandon("stopped");
        _responder?.Abandon("stopped");
    }
}
