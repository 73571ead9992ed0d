using VNet.Actors.Negotiation;
using VNet.Messages;

namespace VNet.Actors.Tests.Negotiation;

/// <summary>
/// The pure OK/NOK rules of <see cref="InitiatorCore"/> and <see cref="ResponderCore"/>,
/// driven with seeded <see cref="Random"/>s and explicit times, each side with its own table as on
/// two hosts.
/// </summary>
public sealed class NegotiationCoreTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly NegotiationLimits Limits = new(16, Ttl, TimeSpan.FromSeconds(10));
    private static readonly IEnumerable<int> AllNumbers = Enumerable.Range(LinkSpec.FirstProtocol, 110);

    private const string Owner = "neg-1";
    private const string LinkId = "link-1";
    private const string HostB = "host-b";
    private const string HostC = "host-c";

    private static InitiatorCore Initiator(ProtocolNumberTable table, int seed = 1, NegotiationLimits? limits = null, params string[] responders) =>
        new(table, new Random(seed), Owner, LinkId, responders.Length == 0 ? [HostB] : responders, limits ?? Limits);

    private static ResponderCore Responder(ProtocolNumberTable table, int seed = 2) =>
        new(table, new Random(seed), Owner, LinkId, Limits);

    /// <summary>Marks <paramref name="protocol"/> as used by another link.</summary>
    private static void Occupy(ProtocolNumberTable table, int protocol, string link)
    {
        Assert.True(table.TryReserve(protocol, $"neg-of-{link}", T0 + Ttl, T0));
        Assert.True(table.Commit(protocol, $"neg-of-{link}", link, T0));
    }

    // ------------------------------------------------------------------ point to point

    [Fact]
    public void Free_number_is_answered_ok_and_committed_on_both_sides()
    {
        var a = new ProtocolNumberTable();
        var b = new ProtocolNumberTable();
        var initiator = Initiator(a);
        var responder = Responder(b);

        var propose = Assert.IsType<Decision.Propose>(initiator.Start(T0));
        Assert.Equal(1, propose.Round);
        Assert.InRange(propose.Protocol, 143, 252);
        Assert.Equal(new[] { (propose.Protocol, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0)));

        var ok = Assert.IsType<Decision.Ok>(responder.OnPropose(propose.Protocol, T0));
        Assert.Equal(propose.Protocol, ok.Protocol);
        Assert.True(responder.Accepted);
        Assert.Equal(new[] { (propose.Protocol, Owner) }, NegotiationFixtures.Entries(b.Reserved(T0)));

        var t1 = T0 + TimeSpan.FromSeconds(1);
        Assert.Equal(new Decision.Agreed(propose.Protocol), initiator.OnOk(HostB, ok.Protocol, 1, t1));
        Assert.Equal(new Decision.Agreed(propose.Protocol), responder.OnConfirm(ok.Protocol, t1));

        Assert.Equal(new[] { (propose.Protocol, LinkId) }, NegotiationFixtures.Entries(a.InUse()));
        Assert.Equal(new[] { (propose.Protocol, LinkId) }, NegotiationFixtures.Entries(b.InUse()));
        Assert.Empty(a.Reserved(t1));
        Assert.Empty(b.Reserved(t1));
    }

    [Fact]
    public void Number_taken_at_responder_is_answered_nok_with_a_free_counter_proposal_that_is_then_agreed()
    {
        var a = new ProtocolNumberTable();
        var b = new ProtocolNumberTable();
        var initiator = Initiator(a);
        var responder = Responder(b);

        var first = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;
        Occupy(b, first, "other-link");

        var nok = Assert.IsType<Decision.Nok>(responder.OnPropose(first, T0));
        Assert.NotEqual(first, nok.CounterProposal);
        Assert.InRange(nok.CounterProposal, 143, 252);
        Assert.False(responder.Accepted);
        Assert.Equal(new[] { (nok.CounterProposal, Owner) }, NegotiationFixtures.Entries(b.Reserved(T0)));

        var second = Assert.IsType<Decision.Propose>(initiator.OnNok(HostB, nok.CounterProposal, 1, T0));
        Assert.Equal(new Decision.Propose(nok.CounterProposal, 2), second);
        Assert.Equal(2, initiator.Round);
        Assert.Equal(new[] { (nok.CounterProposal, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0))); // the first number was released

        Assert.Equal(new Decision.Ok(nok.CounterProposal), responder.OnPropose(second.Protocol, T0));
        Assert.Equal(new Decision.Agreed(nok.CounterProposal), initiator.OnOk(HostB, nok.CounterProposal, 2, T0));
        Assert.Equal(new Decision.Agreed(nok.CounterProposal), responder.OnConfirm(nok.CounterProposal, T0));

        Assert.Equal(new[] { (nok.CounterProposal, LinkId) }, NegotiationFixtures.Entries(a.InUse()));
        Assert.Equal(new[] { (first, "other-link"), (nok.CounterProposal, LinkId) }.OrderBy(e => e.Item1), NegotiationFixtures.Entries(b.InUse()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Nok_with_locally_taken_number_triggers_fresh_proposal(int seed)
    {
        // Host A has every number used except `first` (which Start must pick) and, once released,
        // `fresh`; the counter-proposal is one A uses. The only acceptable next proposal is `fresh`:
        // the counter is taken here and `first` is taken at the responder.
        const int first = 150, counter = 200, fresh = 230;
        var a = new ProtocolNumberTable();
        foreach (var p in AllNumbers.Where(p => p != first)) Occupy(a, p, $"link-{p}");
        var initiator = Initiator(a, seed);

        Assert.Equal(new Decision.Propose(first, 1), initiator.Start(T0));
        a.Release($"link-{fresh}");

        var next = Assert.IsType<Decision.Propose>(initiator.OnNok(HostB, counter, 1, T0));

        Assert.Equal(new Decision.Propose(fresh, 2), next);
        Assert.Equal(new[] { (fresh, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0)));
        Assert.True(a.IsFree(first, T0));
        Assert.Equal($"link-{counter}", a.InUse()[counter]);
    }

    [Fact]
    public void Nok_with_locally_taken_number_picks_neither_the_counter_proposal_nor_the_first_number()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a, seed: 11);
        var first = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;
        var counter = first == 143 ? 144 : 143;
        Occupy(a, counter, "other-link");

        var next = Assert.IsType<Decision.Propose>(initiator.OnNok(HostB, counter, 1, T0));

        Assert.Equal(2, next.Round);
        Assert.NotEqual(counter, next.Protocol);
        Assert.NotEqual(first, next.Protocol);
        Assert.InRange(next.Protocol, 143, 252);
        Assert.Equal(new[] { (next.Protocol, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0)));
    }

    [Fact]
    public void Nok_when_no_number_is_free_both_here_and_at_the_responder_fails_and_releases_everything()
    {
        // Only `first` and `counter` are not used at A; `counter` is taken by another negotiation
        // here and `first` at the responder: nothing is left to propose.
        const int first = 150, counter = 200;
        var a = new ProtocolNumberTable();
        foreach (var p in AllNumbers.Where(p => p != first && p != counter)) Occupy(a, p, $"link-{p}");
        var initiator = Initiator(a);
        Assert.Equal(new Decision.Propose(first, 1), initiator.Start(T0));
        Assert.True(a.TryReserve(counter, "neg-2", T0 + Ttl, T0));

        var fail = Assert.IsType<Decision.Fail>(initiator.OnNok(HostB, counter, 1, T0));

        Assert.Contains(HostB, fail.Reason);
        Assert.DoesNotContain(Owner, a.Reserved(T0).Values);
        Assert.True(a.IsFree(first, T0));
    }

    [Fact]
    public void Exhausted_table_makes_start_fail_with_a_clear_message_and_reserve_nothing()
    {
        var a = new ProtocolNumberTable();
        foreach (var p in AllNumbers) Occupy(a, p, $"link-{p}");
        var initiator = Initiator(a);

        var fail = Assert.IsType<Decision.Fail>(initiator.Start(T0));

        Assert.Contains("no free protocol number", fail.Reason);
        Assert.Contains("110", fail.Reason);
        Assert.Contains("143-252", fail.Reason);
        Assert.Empty(a.Reserved(T0));
        Assert.Equal(110, a.InUse().Count);
        Assert.Equal(0, initiator.Current);
    }

    [Fact]
    public void Numbers_reserved_by_other_negotiations_exhaust_the_table_until_they_expire()
    {
        var a = new ProtocolNumberTable();
        foreach (var p in AllNumbers) Assert.True(a.TryReserve(p, $"neg-of-{p}", T0 + Ttl, T0));

        Assert.IsType<Decision.Fail>(Initiator(a).Start(T0 + TimeSpan.FromSeconds(9)));

        var later = T0 + Ttl;
        var propose = Assert.IsType<Decision.Propose>(Initiator(a).Start(later));
        Assert.Equal(new[] { (propose.Protocol, Owner) }, NegotiationFixtures.Entries(a.Reserved(later)));
    }

    [Fact]
    public void Exhausted_responder_fails_and_holds_nothing()
    {
        var b = new ProtocolNumberTable();
        foreach (var p in AllNumbers) Occupy(b, p, $"link-{p}");
        var responder = Responder(b);

        var fail = Assert.IsType<Decision.Fail>(responder.OnPropose(180, T0));

        Assert.Contains("no free protocol number", fail.Reason);
        Assert.Equal(0, responder.Held);
        Assert.False(responder.Accepted);
        Assert.Empty(b.Reserved(T0));
        Assert.Equal(110, b.InUse().Count);
    }

    [Fact]
    public void Responder_with_only_the_proposed_number_taken_counter_proposes_the_last_free_one()
    {
        var b = new ProtocolNumberTable();
        foreach (var p in AllNumbers.Where(p => p != 222)) Occupy(b, p, $"link-{p}");
        var responder = Responder(b);

        Assert.Equal(new Decision.Nok(222), responder.OnPropose(180, T0));
        Assert.Equal(222, responder.Held);
        Assert.Equal(new[] { (222, Owner) }, NegotiationFixtures.Entries(b.Reserved(T0)));
    }

    [Fact]
    public void Max_rounds_bound_ends_in_fail_and_nothing_reserved()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a, limits: Limits with { MaxRounds = 3 });
        var taken = new HashSet<int>();
        var decision = initiator.Start(T0);
        for (var round = 1; round <= 2; round++)
        {
            var propose = Assert.IsType<Decision.Propose>(decision);
            Assert.Equal(round, propose.Round);
            taken.Add(propose.Protocol);
            var counter = AllNumbers.First(p => !taken.Contains(p));
            decision = initiator.OnNok(HostB, counter, round, T0);
        }
        Assert.Equal(3, Assert.IsType<Decision.Propose>(decision).Round);

        var fail = Assert.IsType<Decision.Fail>(initiator.OnNok(HostB, AllNumbers.First(p => p != initiator.Current && !taken.Contains(p)), 3, T0));

        Assert.Contains("3 rounds", fail.Reason);
        Assert.Empty(a.Reserved(T0));
        Assert.Empty(a.InUse());
    }

    [Fact]
    public void Initiator_abandon_releases_everything_it_reserved()
    {
        var a = new ProtocolNumberTable();
        Occupy(a, 143, "other-link");
        var initiator = Initiator(a);
        var first = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;
        var counter = AllNumbers.First(p => p != first && p != 143);
        Assert.IsType<Decision.Propose>(initiator.OnNok(HostB, counter, 1, T0));
        Assert.NotEmpty(a.Reserved(T0));

        var fail = initiator.Abandon("timed out");

        Assert.Equal("timed out", fail.Reason);
        Assert.Empty(a.Reserved(T0));
        Assert.Equal(new[] { (143, "other-link") }, NegotiationFixtures.Entries(a.InUse()));
    }

    [Fact]
    public void Responder_abandon_releases_its_counter_proposal()
    {
        var b = new ProtocolNumberTable();
        Occupy(b, 180, "other-link");
        var responder = Responder(b);
        Assert.IsType<Decision.Nok>(responder.OnPropose(180, T0));
        Assert.NotEmpty(b.Reserved(T0));

        responder.Abandon("initiator aborted");

        Assert.Empty(b.Reserved(T0));
        Assert.Equal(0, responder.Held);
        Assert.Equal(new[] { (180, "other-link") }, NegotiationFixtures.Entries(b.InUse()));
    }

    [Fact]
    public void Ok_after_the_initiator_reservation_expired_fails_and_commits_nothing()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a);
        var p = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;

        var fail = Assert.IsType<Decision.Fail>(initiator.OnOk(HostB, p, 1, T0 + Ttl));

        Assert.Contains("expired", fail.Reason);
        Assert.Empty(a.InUse());
        Assert.Empty(a.Reserved(T0));
    }

    [Fact]
    public void Confirm_after_the_responder_reservation_expired_fails_and_commits_nothing()
    {
        var b = new ProtocolNumberTable();
        var responder = Responder(b);
        Assert.IsType<Decision.Ok>(responder.OnPropose(180, T0));

        var fail = Assert.IsType<Decision.Fail>(responder.OnConfirm(180, T0 + Ttl));

        Assert.Contains("expired", fail.Reason);
        Assert.Empty(b.InUse());
        Assert.Empty(b.Reserved(T0));
    }

    [Fact]
    public void Confirm_of_another_number_than_the_accepted_one_fails_and_releases()
    {
        var b = new ProtocolNumberTable();
        var responder = Responder(b);
        Assert.IsType<Decision.Ok>(responder.OnPropose(180, T0));

        Assert.IsType<Decision.Fail>(responder.OnConfirm(181, T0));

        Assert.Empty(b.InUse());
        Assert.Empty(b.Reserved(T0));
    }

    [Fact]
    public void Responder_proposed_a_new_number_after_ok_moves_its_hold_to_it()
    {
        var b = new ProtocolNumberTable();
        var responder = Responder(b);
        Assert.Equal(new Decision.Ok(180), responder.OnPropose(180, T0));
        Assert.Equal(new Decision.Ok(180), responder.OnPropose(180, T0)); // a retransmission: same answer

        Assert.Equal(new Decision.Ok(190), responder.OnPropose(190, T0));

        Assert.Equal(new[] { (190, Owner) }, NegotiationFixtures.Entries(b.Reserved(T0)));
    }

    [Fact]
    public void Counter_proposal_taken_by_another_negotiation_after_its_hold_expired_is_not_accepted()
    {
        var b = new ProtocolNumberTable();
        Occupy(b, 180, "other-link");
        var responder = Responder(b);
        var counter = Assert.IsType<Decision.Nok>(responder.OnPropose(180, T0)).CounterProposal;
        var late = T0 + Ttl + TimeSpan.FromSeconds(1);
        Assert.True(b.TryReserve(counter, "neg-2", late + Ttl, late));

        var answer = responder.OnPropose(counter, late);

        // Accepting would promise a number another negotiation holds; its Commit would then fail
        // after the initiator had already created its end.
        var nok = Assert.IsType<Decision.Nok>(answer);
        Assert.NotEqual(counter, nok.CounterProposal);
        Assert.Equal(nok.CounterProposal, responder.Held);
        Assert.Equal("neg-2", b.Reserved(late)[counter]);
    }

    // ------------------------------------------------------------------ stale answers

    [Fact]
    public void Ok_of_an_earlier_round_is_ignored()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a);
        var first = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;
        var counter = first == 143 ? 144 : 143;
        Assert.Equal(new Decision.Propose(counter, 2), initiator.OnNok(HostB, counter, 1, T0));

        Assert.Same(Decision.Wait.Instance, initiator.OnOk(HostB, first, 1, T0));
        Assert.Same(Decision.Wait.Instance, initiator.OnNok(HostB, 250, 1, T0));

        Assert.Empty(a.InUse());
        Assert.Equal(new[] { (counter, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0)));
        Assert.Equal(2, initiator.Round);
    }

    [Fact]
    public void Ok_from_a_host_that_is_not_a_responder_is_ignored()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a);
        var p = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;

        Assert.Same(Decision.Wait.Instance, initiator.OnOk("host-x", p, 1, T0));
        Assert.Empty(a.InUse());
    }

    // ------------------------------------------------------------------ multipoint

    [Fact]
    public void Multipoint_initiator_waits_for_the_ok_of_every_responder()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a, responders: [HostB, HostC]);
        var p = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;

        Assert.Same(Decision.Wait.Instance, initiator.OnOk(HostB, p, 1, T0));
        Assert.Same(Decision.Wait.Instance, initiator.OnOk(HostB, p, 1, T0)); // a duplicate does not count twice
        Assert.Empty(a.InUse());
        Assert.Equal(new[] { (p, Owner) }, NegotiationFixtures.Entries(a.Reserved(T0)));

        Assert.Equal(new Decision.Agreed(p), initiator.OnOk(HostC, p, 1, T0));
        Assert.Equal(new[] { (p, LinkId) }, NegotiationFixtures.Entries(a.InUse()));
    }

    [Fact]
    public void Multipoint_nok_from_one_responder_restarts_the_count_of_oks()
    {
        var a = new ProtocolNumberTable();
        var initiator = Initiator(a, responders: [HostB, HostC]);
        var first = Assert.IsType<Decision.Propose>(initiator.Start(T0)).Protocol;
        var counter = first == 143 ? 144 : 143;

        Assert.Same(Decision.Wait.Instance, initiator.OnOk(HostB, first, 1, T0));
        Assert.Equal(new Decision.Propose(counter, 2), initiator.OnNok(HostC, counter, 1, T0));

        // B's OK was for the first number: B must accept the counter-proposal too.
        Assert.Same(Decision.Wait.Instance, initiator.OnOk(HostC, counter, 2, T0));
        Assert.Empty(a.InUse());
        Assert.Equal(new Decision.Agreed(counter), initiator.OnOk(HostB, counter, 2, T0));
        Assert.Equal(new[] { (counter, LinkId) }, NegotiationFixtures.Entries(a.InUse()));
    }

    [Fact]
    public void Initiator_without_responders_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new InitiatorCore(new ProtocolNumberTable(), new Random(1), Owner, LinkId, [], Limits));
}
