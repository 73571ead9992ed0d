using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using VNet.Actors.Negotiation;
using VNet.Messages;
using static VNet.Actors.Tests.Negotiation.NegotiationFixtures;
using Msg = VNet.Messages.NegotiationProtocol;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>
/// <see cref="NegotiationActor"/> with probes: one as the DistributedPubSub mediator, one as the
/// other side's NegotiationActor. The TestActor is the actor's parent (<c>ChildActorOf</c>) and so
/// receives <see cref="NegotiationActor.Succeeded"/> / <see cref="NegotiationActor.Failed"/>.
/// </summary>
public sealed class NegotiationActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly NegotiationLimits Limits = NegotiationLimits.Default;

    private readonly ProtocolNumberTable _table = new();
    private readonly TestProbe _mediator;
    private readonly TestProbe _peer;
    private readonly Guid _id = Guid.NewGuid();

    public NegotiationActorTests()
    {
        _mediator = CreateTestProbe("mediator");
        _peer = CreateTestProbe("peer");
    }

    private IActorRef StartInitiator(NegotiationLimits? limits = null, int seed = 1) =>
        ChildActorOf(NegotiationActor.Initiator(_id, Link(), HostA, _table, _mediator.Ref, limits ?? Limits, new Random(seed)));

    private IActorRef StartResponder(NegotiationLimits? limits = null, int seed = 2) =>
        ChildActorOf(NegotiationActor.Responder(_id, Link(), HostB, _table, limits ?? Limits, new Random(seed)));

    private Msg.Propose ExpectPublishedProposal()
    {
        var publish = _mediator.ExpectMsg<Publish>();
        Assert.Equal(Msg.Topic, publish.Topic);
        return Assert.IsType<Msg.Propose>(publish.Message);
    }

    // ------------------------------------------------------------------ initiator

    [Fact]
    public void Initiator_publishes_round_one_and_on_ok_confirms_to_the_responder_and_reports_success()
    {
        var initiator = StartInitiator();

        var propose = ExpectPublishedProposal();
        Assert.Equal(_id, propose.NegotiationId);
        Assert.Equal(1, propose.Round);
        Assert.Equal("link-1", propose.Link.Id);
        Assert.InRange(propose.Protocol, 143, 252);
        Assert.Equal(new[] { (propose.Protocol, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));

        initiator.Tell(new Msg.Ok(_id, HostB, propose.Protocol, 1, propose.Link with { Protocol = propose.Protocol }), _peer.Ref);

        var confirm = _peer.ExpectMsg<Msg.Confirm>();
        Assert.Equal(new Msg.Confirm(_id, propose.Protocol), confirm);
        var succeeded = ExpectMsg<NegotiationActor.Succeeded>();
        Assert.Equal(_id, succeeded.NegotiationId);
        Assert.True(succeeded.Initiator);
        Assert.Equal(propose.Protocol, succeeded.Link.Protocol);
        Assert.Equal(new[] { (propose.Protocol, "link-1") }, Entries(_table.InUse()));
        Assert.Empty(Leftovers(_table));
    }

    [Fact]
    public void Initiator_chooses_a_new_link_key_carries_it_in_every_proposal_and_keeps_it_in_the_agreed_link()
    {
        var initiator = StartInitiator();
        var propose = ExpectPublishedProposal();
        Assert.True(propose.Link.HasKey);
        Assert.Equal(LinkSpec.KeyLength, propose.Link.Key.Length);
        Assert.False(Link().HasKey);                                       // the key is the negotiation's, not the request's
        var again = ExpectPublishedProposal();                             // a retransmission: the same key
        Assert.Equal(propose.Link.Key.ToArray(), again.Link.Key.ToArray());
        initiator.Tell(new Msg.Ok(_id, HostB, propose.Protocol, 1, propose.Link with { Protocol = propose.Protocol }), _peer.Ref);
        _peer.ExpectMsg<Msg.Confirm>();
        var succeeded = ExpectMsg<NegotiationActor.Succeeded>();
        Assert.Equal(propose.Link.Key.ToArray(), succeeded.Link.Key.ToArray());
        Assert.DoesNotContain(Convert.ToHexString(propose.Link.Key.AsSpan()), succeeded.Link.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Two_negotiations_choose_different_keys()
    {
        var first = NegotiationActor.Initiator(Guid.NewGuid(), Link(), HostA, new ProtocolNumberTable(), _mediator.Ref, Limits, new Random(1));
        ChildActorOf(first);
        var a = ExpectPublishedProposal();
        ChildActorOf(NegotiationActor.Initiator(Guid.NewGuid(), Link(), HostA, new ProtocolNumberTable(), _mediator.Ref, Limits, new Random(1)));
        var b = _mediator.FishForMessage<Publish>(p => p.Message is Msg.Propose q && q.NegotiationId != a.NegotiationId).Message as Msg.Propose;
        Assert.NotEqual(a.Link.Key.ToArray(), b!.Link.Key.ToArray());
    }

    [Fact]
    public void Responder_keeps_the_key_of_the_proposal_in_the_agreed_link()
    {
        var key = System.Collections.Immutable.ImmutableArray.Create(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var responder = ChildActorOf(NegotiationActor.Responder(_id, Link() with { Key = key }, HostB, _table, Limits, new Random(2)));
        responder.Tell(new Msg.Propose(_id, Link() with { Key = key }, 200, 1), _peer.Ref);
        var ok = _peer.ExpectMsg<Msg.Ok>();
        responder.Tell(new Msg.Confirm(_id, ok.Protocol), _peer.Ref);
        Assert.Equal(key.ToArray(), ExpectMsg<NegotiationActor.Succeeded>().Link.Key.ToArray());
    }

    [Fact]
    public void Initiator_takes_the_udp_port_of_the_responder_end_from_its_ok()
    {
        var initiator = StartInitiator();
        var propose = ExpectPublishedProposal();
        var theirs = propose.Link with
        {
            Endpoints = [propose.Link.Endpoints[0], propose.Link.Endpoints[1] with { Port = 47123 }],
        };

        initiator.Tell(new Msg.Ok(_id, HostB, propose.Protocol, 1, theirs), _peer.Ref);

        var succeeded = ExpectMsg<NegotiationActor.Succeeded>();
        Assert.Equal(47123, succeeded.Link.EndpointOn(HostB)!.Port);
        Assert.Equal(0, succeeded.Link.EndpointOn(HostA)!.Port);
    }

    [Fact]
    public void Unanswered_proposal_is_republished_on_the_topic()
    {
        StartInitiator();

        var first = ExpectPublishedProposal();
        var again = _mediator.ExpectMsg<Publish>(TimeSpan.FromSeconds(2));

        Assert.Equal(first, again.Message);
    }

    [Fact]
    public void Nok_counter_proposal_free_here_is_the_next_proposal_sent_straight_to_the_responder()
    {
        var initiator = StartInitiator();
        var first = ExpectPublishedProposal();
        var counter = first.Protocol == 143 ? 144 : 143;

        initiator.Tell(new Msg.Nok(_id, HostB, counter, 1, first.Link with { Protocol = counter }), _peer.Ref);

        var second = _peer.ExpectMsg<Msg.Propose>();
        Assert.Equal(new Msg.Propose(_id, first.Link, counter, 2), second);
        Assert.Equal(new[] { (counter, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));
        _mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the responder is known now

        initiator.Tell(new Msg.Ok(_id, HostB, counter, 2, first.Link with { Protocol = counter }), _peer.Ref);

        Assert.Equal(new Msg.Confirm(_id, counter), _peer.ExpectMsg<Msg.Confirm>());
        Assert.Equal(counter, ExpectMsg<NegotiationActor.Succeeded>().Link.Protocol);
        Assert.Equal(new[] { (counter, "link-1") }, Entries(_table.InUse()));
    }

    [Fact]
    public void Nok_with_counter_proposal_taken_here_leads_to_a_fresh_proposal()
    {
        var initiator = StartInitiator();
        var first = ExpectPublishedProposal();
        var counter = first.Protocol == 143 ? 144 : 143;
        Occupy(_table, counter, "other-link");

        initiator.Tell(new Msg.Nok(_id, HostB, counter, 1, first.Link with { Protocol = counter }), _peer.Ref);

        var second = _peer.ExpectMsg<Msg.Propose>();
        Assert.Equal(2, second.Round);
        Assert.NotEqual(counter, second.Protocol);
        Assert.NotEqual(first.Protocol, second.Protocol);
        Assert.Equal(new[] { (second.Protocol, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));
    }

    [Fact]
    public void Refuse_ends_in_failed_with_the_reason_and_releases_the_number()
    {
        var initiator = StartInitiator();
        ExpectPublishedProposal();

        initiator.Tell(new Msg.Refuse(_id, HostB, "no VM NIC with MAC 02:bb:00:00:00:01"), _peer.Ref);

        var failed = ExpectMsg<NegotiationActor.Failed>();
        Assert.Equal(_id, failed.NegotiationId);
        Assert.Equal("link-1", failed.LinkId);
        Assert.True(failed.Initiator);
        Assert.Contains(HostB, failed.Reason);
        Assert.Contains("no VM NIC with MAC 02:bb:00:00:00:01", failed.Reason);
        Assert.Equal(_id, _peer.ExpectMsg<Msg.Abort>().NegotiationId);
        Assert.Empty(Leftovers(_table));
        Assert.Empty(_table.InUse());
    }

    [Fact]
    public void Initiator_without_answer_fails_after_the_timeout_and_leaves_nothing_reserved()
    {
        // Reservations outlive the timeout here, so an empty table proves they were released.
        var limits = new NegotiationLimits(16, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        StartInitiator(limits);
        ExpectPublishedProposal();

        var failed = ExpectMsg<NegotiationActor.Failed>(TimeSpan.FromSeconds(4));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Contains($"no answer from host {HostB}", failed.Reason);
        Assert.Empty(_table.Reserved(DateTime.UtcNow));
        Assert.Empty(Leftovers(_table));
        Assert.Empty(_table.InUse());
    }

    [Fact]
    public void Initiator_timeout_after_a_nok_aborts_the_responder_and_releases_the_counter_proposal()
    {
        var limits = new NegotiationLimits(16, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        var initiator = StartInitiator(limits);
        var first = ExpectPublishedProposal();
        var counter = first.Protocol == 143 ? 144 : 143;
        initiator.Tell(new Msg.Nok(_id, HostB, counter, 1, first.Link), _peer.Ref);
        _peer.ExpectMsg<Msg.Propose>();

        var failed = ExpectMsg<NegotiationActor.Failed>(TimeSpan.FromSeconds(4));

        Assert.Contains("no agreement", failed.Reason);
        _peer.FishForMessage(m => m is Msg.Abort a && a.NegotiationId == _id); // retransmitted proposals may come first
        Assert.Empty(Leftovers(_table));
        Assert.Empty(_table.InUse());
    }

    [Fact]
    public void Initiator_on_an_exhausted_table_fails_at_once_without_publishing()
    {
        for (var p = 143; p <= 252; p++) Occupy(_table, p, $"link-{p}");

        StartInitiator();

        var failed = ExpectMsg<NegotiationActor.Failed>();
        Assert.Contains("no free protocol number", failed.Reason);
        _mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Empty(Leftovers(_table));
        Assert.Equal(110, _table.InUse().Count);
    }

    [Fact]
    public void Initiator_stopped_from_outside_releases_its_reservation()
    {
        var initiator = StartInitiator();
        ExpectPublishedProposal();
        Assert.NotEmpty(Leftovers(_table));

        Watch(initiator);
        Sys.Stop(initiator);
        ExpectTerminated(initiator);

        Assert.Empty(Leftovers(_table));
    }

    // ------------------------------------------------------------------ responder

    [Fact]
    public void Responder_answers_ok_for_a_free_number_and_commits_it_on_confirm()
    {
        var responder = StartResponder();

        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);

        var ok = _peer.ExpectMsg<Msg.Ok>();
        Assert.Equal((_id, HostB, 180, 1), (ok.NegotiationId, ok.Responder, ok.Protocol, ok.Round));
        Assert.Equal(("link-1", 180), (ok.Link.Id, ok.Link.Protocol));
        Assert.Equal(new[] { (180, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));

        responder.Tell(new Msg.Confirm(_id, 180), _peer.Ref);

        var succeeded = ExpectMsg<NegotiationActor.Succeeded>();
        Assert.False(succeeded.Initiator);
        Assert.Equal(180, succeeded.Link.Protocol);
        Assert.Equal(new[] { (180, "link-1") }, Entries(_table.InUse()));
        Assert.Empty(Leftovers(_table));
    }

    [Fact]
    public void Responder_answers_nok_with_a_reserved_counter_proposal_for_a_taken_number()
    {
        Occupy(_table, 180, "other-link");
        var responder = StartResponder();

        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);

        var nok = _peer.ExpectMsg<Msg.Nok>();
        Assert.Equal(HostB, nok.Responder);
        Assert.Equal(1, nok.Round);
        Assert.NotEqual(180, nok.CounterProposal);
        Assert.Equal(nok.CounterProposal, nok.Link.Protocol);
        Assert.Equal(new[] { (nok.CounterProposal, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));

        responder.Tell(new Msg.Propose(_id, Link(), nok.CounterProposal, 2), _peer.Ref);

        Assert.Equal(nok.CounterProposal, _peer.ExpectMsg<Msg.Ok>().Protocol);
    }

    [Fact]
    public void Responder_answers_a_retransmitted_proposal_with_its_previous_reply()
    {
        Occupy(_table, 180, "other-link");
        var responder = StartResponder();
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        var nok = _peer.ExpectMsg<Msg.Nok>();

        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);

        Assert.Same(nok, _peer.ExpectMsg<Msg.Nok>());
        Assert.Equal(new[] { (nok.CounterProposal, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow)));
    }

    [Fact]
    public void Responder_ignores_a_late_copy_of_an_earlier_round_and_still_commits_on_confirm()
    {
        // Round 1 travels through the pub-sub topic, later rounds straight to the responder: a
        // retransmitted round-1 proposal can arrive after round 2 has been answered.
        Occupy(_table, 180, "other-link");
        var responder = StartResponder();
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        var counter = _peer.ExpectMsg<Msg.Nok>().CounterProposal;
        responder.Tell(new Msg.Propose(_id, Link(), counter, 2), _peer.Ref);
        Assert.Equal(counter, _peer.ExpectMsg<Msg.Ok>().Protocol);

        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        responder.Tell(new Msg.Confirm(_id, counter), _peer.Ref);

        Assert.Equal(counter, ExpectMsg<NegotiationActor.Succeeded>().Link.Protocol);
        Assert.Equal("link-1", _table.InUse()[counter]);
        Assert.Empty(Leftovers(_table));
    }

    [Fact]
    public void Responder_without_confirm_fails_after_the_reservation_ttl_and_releases_the_number()
    {
        var limits = new NegotiationLimits(16, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var responder = StartResponder(limits);
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        _peer.ExpectMsg<Msg.Ok>();
        var clock = Stopwatch.StartNew();

        var failed = ExpectMsg<NegotiationActor.Failed>(TimeSpan.FromSeconds(4));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(4));
        Assert.False(failed.Initiator);
        Assert.Contains("silent", failed.Reason);
        Assert.Empty(_table.Reserved(DateTime.UtcNow));
        Assert.Empty(Leftovers(_table)); // released, not just expired
        Assert.Empty(_table.InUse());
        Assert.True(_table.IsFree(180, DateTime.UtcNow));
    }

    [Fact]
    public void Responder_releases_its_number_on_abort()
    {
        var responder = StartResponder();
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        _peer.ExpectMsg<Msg.Ok>();

        responder.Tell(new Msg.Abort(_id, "timed out"), _peer.Ref);

        var failed = ExpectMsg<NegotiationActor.Failed>();
        Assert.Contains("timed out", failed.Reason);
        Assert.Empty(Leftovers(_table));
        Assert.Empty(_table.InUse());
    }

    [Fact]
    public void Exhausted_responder_refuses_and_reports_failure()
    {
        for (var p = 143; p <= 252; p++) Occupy(_table, p, $"link-{p}");
        var responder = StartResponder();

        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);

        var refuse = _peer.ExpectMsg<Msg.Refuse>();
        Assert.Equal(HostB, refuse.Responder);
        Assert.Contains("no free protocol number", refuse.Reason);
        Assert.False(ExpectMsg<NegotiationActor.Failed>().Initiator);
        Assert.Empty(Leftovers(_table));
    }

    [Fact]
    public void Confirm_of_another_number_than_the_accepted_one_fails_and_releases()
    {
        var responder = StartResponder();
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        _peer.ExpectMsg<Msg.Ok>();

        responder.Tell(new Msg.Confirm(_id, 181), _peer.Ref);

        Assert.Contains("does not match", ExpectMsg<NegotiationActor.Failed>().Reason);
        Assert.Empty(Leftovers(_table));
        Assert.Empty(_table.InUse());
    }

    [Fact]
    public void Responder_ignores_a_confirm_before_any_proposal_and_still_negotiates_afterwards()
    {
        var responder = StartResponder();

        responder.Tell(new Msg.Confirm(_id, 180), _peer.Ref);

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));            // neither Succeeded nor Failed
        Assert.Empty(_table.InUse());
        Assert.Empty(Leftovers(_table));
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        Assert.Equal(180, _peer.ExpectMsg<Msg.Ok>().Protocol);
        responder.Tell(new Msg.Confirm(_id, 180), _peer.Ref);
        Assert.Equal(180, ExpectMsg<NegotiationActor.Succeeded>().Link.Protocol);
    }

    [Fact]
    public void Responder_ignores_a_confirm_after_it_answered_nok()
    {
        Occupy(_table, 180, "other-link");
        var responder = StartResponder();
        responder.Tell(new Msg.Propose(_id, Link(), 180, 1), _peer.Ref);
        var nok = _peer.ExpectMsg<Msg.Nok>();

        responder.Tell(new Msg.Confirm(_id, nok.CounterProposal), _peer.Ref);

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(new[] { (nok.CounterProposal, _id.ToString()) }, Entries(_table.Reserved(DateTime.UtcNow))); // still held, not committed
        responder.Tell(new Msg.Propose(_id, Link(), nok.CounterProposal, 2), _peer.Ref);
        _peer.ExpectMsg<Msg.Ok>();
        responder.Tell(new Msg.Confirm(_id, nok.CounterProposal), _peer.Ref);
        Assert.Equal(nok.CounterProposal, ExpectMsg<NegotiationActor.Succeeded>().Link.Protocol);
    }

    [Fact]
    public void Initiator_of_a_segment_ignores_a_second_ok_from_the_same_member_and_agrees_once_every_member_accepted()
    {
        const string hostC = "host-c";
        var segment = new LinkSpec("seg-1", LinkKind.RawMultipoint,
            [.. Link().Endpoints, new LinkEndpoint(hostC, "c1", new MacAddress(0x02cc00000001), "192.0.2.3")], LinkOptions.Default) { Group = "239.1.2.3" };
        var initiator = ChildActorOf(NegotiationActor.Initiator(_id, segment, HostA, _table, _mediator.Ref, Limits, new Random(1)));
        var propose = ExpectPublishedProposal();
        var peerC = CreateTestProbe("peer-c");

        initiator.Tell(new Msg.Ok(_id, HostB, propose.Protocol, 1, propose.Link), _peer.Ref);
        initiator.Tell(new Msg.Ok(_id, HostB, propose.Protocol, 1, propose.Link), _peer.Ref); // B answered a retransmission
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        initiator.Tell(new Msg.Ok(_id, hostC, propose.Protocol, 1, propose.Link), peerC.Ref);

        Assert.Equal(propose.Protocol, ExpectMsg<NegotiationActor.Succeeded>().Link.Protocol);
        Assert.Equal(new Msg.Confirm(_id, propose.Protocol), _peer.FishForMessage<Msg.Confirm>(_ => true));
        Assert.Equal(new Msg.Confirm(_id, propose.Protocol), peerC.ExpectMsg<Msg.Confirm>());
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // one outcome only
    }

    [Fact]
    public void Initiator_ignores_a_duplicate_ok_that_arrives_after_it_agreed()
    {
        var initiator = StartInitiator();
        var propose = ExpectPublishedProposal();
        var ok = new Msg.Ok(_id, HostB, propose.Protocol, 1, propose.Link with { Protocol = propose.Protocol });

        initiator.Tell(ok, _peer.Ref);
        initiator.Tell(ok, _peer.Ref);

        ExpectMsg<NegotiationActor.Succeeded>();
        _peer.ExpectMsg<Msg.Confirm>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        _peer.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no second confirmation
    }

    // ------------------------------------------------------------------ both sides

    [Fact]
    public void Initiator_and_responder_actors_agree_through_a_taken_number()
    {
        // Two tables as on two hosts; the responder's table has the initiator's first pick taken.
        var peerTable = new ProtocolNumberTable();
        var first = new ProtocolNumberTable().ReserveRandomFree(new Random(1), "x", DateTime.MaxValue, DateTime.UtcNow)!.Value;
        Occupy(peerTable, first, "other-link");
        var initiator = StartInitiator(seed: 1);
        var propose = ExpectPublishedProposal();
        Assert.Equal(first, propose.Protocol);
        var responder = ChildActorOf(NegotiationActor.Responder(_id, Link(), HostB, peerTable, Limits, new Random(2)));

        responder.Tell(propose, initiator);

        var results = new[] { ExpectMsg<NegotiationActor.Succeeded>(), ExpectMsg<NegotiationActor.Succeeded>() };
        var agreed = results.Single(r => r.Initiator).Link.Protocol;
        Assert.NotEqual(first, agreed);
        Assert.Equal(agreed, results.Single(r => !r.Initiator).Link.Protocol);
        Assert.Equal(new[] { (agreed, "link-1") }, Entries(_table.InUse()));
        Assert.Equal("link-1", peerTable.InUse()[agreed]);
        Assert.Empty(Leftovers(_table));
        Assert.Empty(Leftovers(peerTable));
    }
}
