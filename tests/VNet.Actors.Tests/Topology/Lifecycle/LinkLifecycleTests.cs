using System.Collections.Immutable;
using VNet.Actors.Topology;
using VNet.Actors.Topology.Lifecycle;
using VNet.Messages;
using VNet.Messages.Commands;
using D = VNet.Actors.Topology.Lifecycle.LifecycleDecision;

namespace VNet.Actors.Tests.Topology.Lifecycle;

/// <summary>
/// <see cref="LinkLifecycle"/> directly: events in, decisions out, with the time and the attempt
/// ids given by the test.
/// </summary>
public sealed class LinkLifecycleTests
{
    private static readonly TopologySettings Settings = new() { RetryMin = TimeSpan.FromSeconds(2), RetryMax = TimeSpan.FromSeconds(30), StartTimeout = TimeSpan.FromSeconds(5) };
    private static readonly DateTime T0 = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DesiredLink Intent = new("l1", LinkKind.RawP2P, ["a", "b"], LinkOptions.Default);

    private int _ids;

    private Guid NextId() => new(++_ids, 0, 0, new byte[8]);

    private static Guid Id(int n) => new(n, 0, 0, new byte[8]);

    private static LinkSpec Placed(string hostA = "h1", string hostB = "h2") =>
        new("l1", LinkKind.RawP2P,
            [new LinkEndpoint(hostA, "a", new MacAddress(0x020000000101), "192.0.2.11"), new LinkEndpoint(hostB, "b", new MacAddress(0x020000000201), "192.0.2.12")],
            LinkOptions.Default);

    private static Func<LinkPlacement> PlacedAt(LinkSpec spec) => () => new LinkPlacement(spec, [], []);

    private static Func<LinkPlacement> Waiting(params string[] hosts) => () => new LinkPlacement(null, [.. hosts], [$"host {hosts[0]} is down"]);

    private static LinkEndState End(string host, LinkStatus status, int protocol = 200, string? detail = null) =>
        new(host, host == "h1" ? "a" : "b", status, protocol, 0, 1434, "fake transport", detail);

    private LinkLifecycle Fresh() => new(Intent, Settings, NextId, "not made yet");

    /// <summary>A link a user created: negotiated with protocol 200 and both ends running (attempt 1).</summary>
    private (LinkLifecycle Link, LinkSpec Made) Running()
    {
        var link = Fresh();
        var start = Assert.IsType<D.StartNegotiation>(Assert.Single(link.Create(Placed(), T0)));
        var made = start.Spec with { Protocol = 200, Key = ImmutableArray.Create(new byte[32]) };
        link.Negotiated(made.Attempt, made, T0);
        link.EndReported(made.Attempt, End("h1", LinkStatus.Established), T0);
        link.EndReported(made.Attempt, End("h2", LinkStatus.Established), T0);
        Assert.Equal(LinkPhase.Established, link.Phase);
        return (link, made);
    }

    // ------------------------------------------------------------------ a user creates a link

    [Fact]
    public void Create_negotiates_with_a_new_attempt_and_no_number_or_ports_yet()
    {
        var link = Fresh();
        var placed = Placed() with { PreferredProtocol = 190 };

        var start = Assert.IsType<D.StartNegotiation>(Assert.Single(link.Create(placed, T0)));

        Assert.Equal((LinkPhase.Negotiating, true), (link.Phase, link.CreatorWaiting));
        Assert.False(start.DeleteFirst);
        Assert.Equal(Id(1), start.Spec.Attempt);
        Assert.Equal((0, 190), (start.Spec.Protocol, start.Spec.PreferredProtocol));
        Assert.All(link.Ends, e => Assert.Equal(LinkStatus.Negotiating, e.Status));
        Assert.Equal(LinkStatus.Negotiating, link.Status);
    }

    [Fact]
    public void The_creator_is_answered_only_once_every_end_runs()
    {
        var link = Fresh();
        var made = ((D.StartNegotiation)link.Create(Placed(), T0)[0]).Spec with { Protocol = 200, Key = ImmutableArray.Create(new byte[32]) };

        Assert.Empty(link.Negotiated(made.Attempt, made, T0));
        Assert.Equal(LinkPhase.Establishing, link.Phase);
        Assert.Empty(link.EndReported(made.Attempt, End("h1", LinkStatus.Established), T0));
        Assert.Equal(LinkPhase.Establishing, link.Phase);
        var decisions = link.EndReported(made.Attempt, End("h2", LinkStatus.Established), T0);

        Assert.Equal(LinkPhase.Established, link.Phase);
        var record = Assert.IsType<D.RecordIntent>(decisions[0]);
        Assert.Equal(200, record.Intent.Placement!.Protocol);
        Assert.False(record.Intent.Placement.HasKey); // the replicated intent never holds the key
        var answer = Assert.IsType<D.AnswerCreator>(decisions[1]);
        Assert.Null(answer.Failure);
        Assert.Equal((LinkPhase.Established, 200, 1434), (answer.State.Phase, answer.State.Link.Protocol, answer.State.VmMtu));
        Assert.False(answer.State.Link.HasKey);
        Assert.False(link.CreatorWaiting);
    }

    [Fact]
    public void An_end_that_reports_before_the_initiators_answer_is_kept()
    {
        var link = Fresh();
        var made = ((D.StartNegotiation)link.Create(Placed(), T0)[0]).Spec with { Protocol = 200 };

        Assert.Empty(link.EndReported(made.Attempt, End("h2", LinkStatus.Established), T0));
        Assert.Empty(link.EndReported(made.Attempt, End("h1", LinkStatus.Established), T0));
        Assert.Equal(LinkPhase.Negotiating, link.Phase);
        var decisions = link.Negotiated(made.Attempt, made, T0);

        Assert.Equal(LinkPhase.Established, link.Phase);
        Assert.Contains(decisions, d => d is D.AnswerCreator { Failure: null });
    }

    [Fact]
    public void A_failed_negotiation_answers_the_creator_and_leaves_nothing()
    {
        var link = Fresh();
        var start = (D.StartNegotiation)link.Create(Placed(), T0)[0];

        var decisions = link.NegotiationFailed(start.Spec.Attempt, "no free protocol number", T0);

        Assert.Equal("no free protocol number", Assert.IsType<D.AnswerCreator>(decisions[0]).Failure);
        Assert.Equal(LinkPhase.Failed, ((D.AnswerCreator)decisions[0]).State.Phase);
        Assert.IsType<D.TellHostsDelete>(decisions[1]);
        Assert.IsType<D.Forget>(decisions[2]);
    }

    [Fact]
    public void An_end_failing_while_starting_fails_the_creation()
    {
        var link = Fresh();
        var made = ((D.StartNegotiation)link.Create(Placed(), T0)[0]).Spec with { Protocol = 200 };
        link.Negotiated(made.Attempt, made, T0);

        var decisions = link.EndReported(made.Attempt, End("h2", LinkStatus.Failed, detail: "no interface vm-b"), T0);

        Assert.Equal("h2: no interface vm-b", Assert.IsType<D.AnswerCreator>(decisions[0]).Failure);
        Assert.Equal([typeof(D.AnswerCreator), typeof(D.TellHostsDelete), typeof(D.Forget)], decisions.Select(d => d.GetType()));
    }

    [Fact]
    public void An_end_that_does_not_start_in_time_fails_the_creation_at_the_tick_after_the_deadline()
    {
        var link = Fresh();
        var made = ((D.StartNegotiation)link.Create(Placed(), T0)[0]).Spec with { Protocol = 200 };
        link.Negotiated(made.Attempt, made, T0);
        link.EndReported(made.Attempt, End("h1", LinkStatus.Established), T0);

        Assert.Empty(link.Tick(T0.AddSeconds(4.9), PlacedAt(Placed())));
        var decisions = link.Tick(T0.AddSeconds(5), PlacedAt(Placed()));

        Assert.Equal("the end on host h2 did not start within 5 s of the agreement", Assert.IsType<D.AnswerCreator>(decisions[0]).Failure);
    }

    [Fact]
    public void A_host_lost_mid_negotiation_fails_the_creation_naming_the_host()
    {
        var link = Fresh();
        var start = (D.StartNegotiation)link.Create(Placed(), T0)[0];

        var decisions = link.HostLost("h2", "left the cluster", T0);

        Assert.Equal("host h2 left the cluster", Assert.IsType<D.AnswerCreator>(decisions[0]).Failure);
        Assert.IsType<D.Forget>(decisions[^1]);
        Assert.Empty(link.Negotiated(start.Spec.Attempt, start.Spec with { Protocol = 200 }, T0)); // the late answer changes nothing
    }

    [Fact]
    public void A_host_that_owns_no_end_changes_nothing()
    {
        var link = Fresh();
        link.Create(Placed(), T0);

        Assert.Empty(link.HostLost("h3", "left the cluster", T0));
        Assert.Equal((LinkPhase.Negotiating, true), (link.Phase, link.CreatorWaiting));
    }

    [Fact]
    public void Delete_while_negotiating_answers_the_creator_then_forgets_once_the_hosts_dropped_it()
    {
        var link = Fresh();
        var start = (D.StartNegotiation)link.Create(Placed(), T0)[0];

        var decisions = link.DeleteRequested(T0);

        Assert.Equal(LinkPhase.Deleting, link.Phase);
        Assert.Equal("link l1 was deleted while being created", Assert.IsType<D.AnswerCreator>(decisions[0]).Failure);
        Assert.IsType<D.RemoveFromHosts>(decisions[1]);
        Assert.Empty(link.DeleteRequested(T0));                                                   // asked twice: one removal
        Assert.Empty(link.NegotiationFailed(start.Spec.Attempt, "link l1 was deleted while negotiating", T0));
        Assert.Empty(link.Negotiated(start.Spec.Attempt, start.Spec with { Protocol = 200 }, T0));
        // An end made after the delete reached its host is dropped too.
        Assert.IsType<D.TellHostsDelete>(Assert.Single(link.EndReported(start.Spec.Attempt, End("h2", LinkStatus.Established), T0)));
        Assert.Equal(LinkPhase.Deleting, link.Phase);
        Assert.IsType<D.Forget>(Assert.Single(link.Removed()));
    }

    [Fact]
    public void Delete_of_a_running_link_removes_it_from_the_hosts()
    {
        var (link, _) = Running();

        Assert.IsType<D.RemoveFromHosts>(Assert.Single(link.DeleteRequested(T0)));
        Assert.Equal(LinkStatus.Down, link.Status);
        Assert.Empty(link.Tick(T0.AddMinutes(1), PlacedAt(Placed())));
        Assert.IsType<D.Forget>(Assert.Single(link.Removed()));
    }

    [Fact]
    public void Removed_outside_a_delete_is_ignored()
    {
        var (link, _) = Running();
        Assert.Empty(link.Removed());
    }

    [Fact]
    public void Delete_of_a_link_never_placed_forgets_it_at_once()
    {
        var link = new LinkLifecycle(Intent, Settings, NextId, "checking (topology manager restarted)");
        Assert.IsType<D.Forget>(Assert.Single(link.DeleteRequested(T0)));
    }

    // ------------------------------------------------------------------ a running link

    [Fact]
    public void A_restarting_or_waiting_end_degrades_the_link_and_its_return_restores_it()
    {
        var (link, made) = Running();

        Assert.Empty(link.EndReported(made.Attempt, End("h2", LinkStatus.Restarting, detail: "socket error"), T0));
        Assert.Equal((LinkPhase.Degraded, LinkStatus.Restarting, "h2: socket error"), (link.Phase, link.Status, link.Detail));

        link.EndReported(made.Attempt, End("h2", LinkStatus.Waiting, detail: "waiting for interface vm-b on h2"), T0);
        Assert.Equal((LinkPhase.Degraded, LinkStatus.Waiting, "waiting for interface vm-b on h2"), (link.Phase, link.Status, link.Detail));

        link.EndReported(made.Attempt, End("h2", LinkStatus.Established), T0);
        Assert.Equal((LinkPhase.Established, LinkStatus.Established, null), (link.Phase, link.Status, link.Detail));
    }

    [Fact]
    public void A_late_report_from_an_old_attempt_is_ignored()
    {
        var (link, made) = Running();
        link.EndReported(made.Attempt, End("h2", LinkStatus.Failed, detail: "interface gone"), T0);
        var check = (D.StartCheck)link.Tick(T0.AddSeconds(2), PlacedAt(Placed()))[0];
        // The check finds that h2 lost it: the link is made again, with a new attempt.
        var remake = (D.StartNegotiation)link.Checked(check.Check, "host h2 has lost it", [], T0.AddSeconds(2), PlacedAt(Placed()))[0];
        Assert.NotEqual(made.Attempt, remake.Spec.Attempt);

        // The old instance's end on h1 reports its failure as it is deleted: nothing changes.
        Assert.Empty(link.EndReported(made.Attempt, End("h1", LinkStatus.Failed, detail: "deleted"), T0.AddSeconds(2)));
        Assert.Equal(LinkPhase.Negotiating, link.Phase);
        Assert.Empty(link.Negotiated(made.Attempt, made, T0.AddSeconds(2)));
        Assert.Equal(LinkPhase.Negotiating, link.Phase);
        Assert.All(link.Ends, e => Assert.Equal(LinkStatus.Negotiating, e.Status));
    }

    [Fact]
    public void A_failed_end_of_a_running_link_backs_off_and_is_then_checked()
    {
        var (link, made) = Running();

        var retry = Assert.IsType<D.RetryScheduled>(Assert.Single(link.EndReported(made.Attempt, End("h2", LinkStatus.Failed, detail: "interface gone"), T0)));

        Assert.Equal((LinkPhase.BackingOff, LinkStatus.Failed, "h2: interface gone", 1), (link.Phase, link.Status, link.Detail, link.Failures));
        Assert.Equal((T0.AddSeconds(2), TimeSpan.FromSeconds(2)), (retry.At, retry.Delay));
        Assert.Empty(link.Tick(T0.AddSeconds(1.9), PlacedAt(Placed())));
        var check = Assert.IsType<D.StartCheck>(Assert.Single(link.Tick(T0.AddSeconds(2), PlacedAt(Placed()))));
        Assert.Equal(made.Attempt, check.Spec.Attempt);
        Assert.Equal((LinkPhase.Establishing, LinkStatus.Down), (link.Phase, link.Status));
        Assert.Empty(link.Tick(T0.AddSeconds(3), PlacedAt(Placed()))); // one check at a time

        // Every host still runs it: left alone, the back-off starts again from the bottom.
        Assert.Empty(link.Checked(check.Check, null, [End("h1", LinkStatus.Established), End("h2", LinkStatus.Established)], T0.AddSeconds(3), PlacedAt(Placed())));
        Assert.Equal((LinkPhase.Established, 0), (link.Phase, link.Failures));
    }

    [Fact]
    public void A_check_that_finds_the_link_lost_makes_it_again_asking_for_its_old_number()
    {
        var (link, made) = Running();
        link.EndReported(made.Attempt, End("h2", LinkStatus.Failed, detail: "interface gone"), T0);
        var check = (D.StartCheck)link.Tick(T0.AddSeconds(2), PlacedAt(Placed()))[0];

        Assert.Empty(link.Checked(Guid.NewGuid(), null, [], T0.AddSeconds(2), PlacedAt(Placed()))); // another check's answer
        var start = Assert.IsType<D.StartNegotiation>(Assert.Single(link.Checked(check.Check, "host h2 has lost it", [], T0.AddSeconds(2), PlacedAt(Placed()))));

        Assert.True(start.DeleteFirst);
        Assert.Equal((0, 200), (start.Spec.Protocol, start.Spec.PreferredProtocol));
        Assert.Equal(LinkPhase.Negotiating, link.Phase);
        Assert.False(link.CreatorWaiting);

        // Made again: nobody waits for it, so the manager is told it is back.
        var again = start.Spec with { Protocol = 200 };
        link.Negotiated(again.Attempt, again, T0.AddSeconds(3));
        link.EndReported(again.Attempt, End("h1", LinkStatus.Established), T0.AddSeconds(3));
        var decisions = link.EndReported(again.Attempt, End("h2", LinkStatus.Established), T0.AddSeconds(3));
        Assert.Equal([typeof(D.RecordIntent), typeof(D.Recovered)], decisions.Select(d => d.GetType()));
        Assert.Equal((LinkPhase.Established, 0), (link.Phase, link.Failures));
    }

    [Fact]
    public void The_back_off_doubles_up_to_the_limit_and_starts_again_once_the_link_runs()
    {
        var (link, made) = Running();
        var now = T0;
        link.EndReported(made.Attempt, End("h2", LinkStatus.Failed, detail: "gone"), now);
        var waits = new List<double> { (link.NextAttempt - now).TotalSeconds };
        var check = (D.StartCheck)link.Tick(now = link.NextAttempt, PlacedAt(Placed()))[0];
        var start = (D.StartNegotiation)link.Checked(check.Check, "host h2 has lost it", [], now, PlacedAt(Placed()))[0];
        for (var i = 0; i < 6; i++)
        {
            var retry = (D.RetryScheduled)link.NegotiationFailed(start.Spec.Attempt, "no answer from host h2", now)[0];
            waits.Add(retry.Delay.TotalSeconds);
            // Not due before its time; then placed on the same hosts and, the last attempt having failed, checked first.
            Assert.Empty(link.Tick(retry.At.AddMilliseconds(-1), PlacedAt(Placed())));
            check = (D.StartCheck)link.Tick(now = retry.At, PlacedAt(Placed()))[0];
            start = (D.StartNegotiation)link.Checked(check.Check, "host h2 has lost it", [], now, PlacedAt(Placed()))[0];
        }
        Assert.Equal([2, 4, 8, 16, 30, 30, 30], waits);

        var made2 = start.Spec with { Protocol = 201 };
        link.Negotiated(made2.Attempt, made2, now);
        link.EndReported(made2.Attempt, End("h1", LinkStatus.Established, 201), now);
        link.EndReported(made2.Attempt, End("h2", LinkStatus.Established, 201), now);
        Assert.Equal(0, link.Failures);
        var reset = (D.RetryScheduled)link.EndReported(made2.Attempt, End("h2", LinkStatus.Failed, 201, "gone"), now)[0];
        Assert.Equal(TimeSpan.FromSeconds(2), reset.Delay);
    }

    // ------------------------------------------------------------------ hosts

    [Fact]
    public void A_lost_host_puts_the_link_in_waiting_until_its_host_is_back_and_placed()
    {
        var (link, made) = Running();

        Assert.Empty(link.HostLost("h2", "is unreachable", T0));
        Assert.Equal((LinkPhase.WaitingForHost, LinkStatus.Down, "host h2 is unreachable"), (link.Phase, link.Status, link.Detail));
        Assert.Equal(LinkStatus.Down, link.Ends[1].Status);

        Assert.Empty(link.Tick(T0.AddSeconds(1), Waiting("h2")));
        Assert.Equal((LinkPhase.WaitingForHost, "waiting for host h2"), (link.Phase, link.Detail));

        var check = Assert.IsType<D.StartCheck>(Assert.Single(link.Tick(T0.AddSeconds(2), PlacedAt(Placed()))));
        Assert.Equal(made.Attempt, check.Spec.Attempt);
    }

    [Fact]
    public void A_restarted_host_has_lost_its_ends_and_the_link_waits_for_it()
    {
        var (link, _) = Running();

        Assert.Empty(link.HostRestarted("h2", T0));

        Assert.Equal((LinkPhase.WaitingForHost, LinkStatus.Down, "host h2 restarted"), (link.Phase, link.Status, link.Detail));
    }

    [Fact]
    public void A_host_lost_while_a_link_is_made_again_stops_that_attempt()
    {
        var (link, made) = Running();
        link.HostRestarted("h2", T0);
        var check = (D.StartCheck)link.Tick(T0.AddSeconds(2), PlacedAt(Placed()))[0];
        var start = (D.StartNegotiation)link.Checked(check.Check, "host h2 has lost it", [], T0.AddSeconds(2), PlacedAt(Placed()))[0];

        Assert.Empty(link.HostLost("h2", "left the cluster", T0.AddSeconds(3)));

        Assert.Equal(LinkPhase.WaitingForHost, link.Phase);
        Assert.Empty(link.Negotiated(start.Spec.Attempt, start.Spec with { Protocol = 200 }, T0.AddSeconds(3)));
        Assert.Equal(LinkPhase.WaitingForHost, link.Phase);
    }

    [Fact]
    public void A_link_whose_vms_moved_to_other_hosts_is_made_anew_there()
    {
        var (link, _) = Running();
        link.HostLost("h2", "left the cluster", T0);

        var start = Assert.IsType<D.StartNegotiation>(Assert.Single(link.Tick(T0.AddSeconds(1), PlacedAt(Placed("h1", "h3")))));

        Assert.True(start.DeleteFirst);
        Assert.Equal(["h1", "h3"], start.Spec.Endpoints.Select(e => e.Host));
        Assert.Equal(["h1", "h3"], link.Hosts);
    }

    [Fact]
    public void A_link_that_cannot_be_placed_with_every_host_present_fails_until_a_host_changes()
    {
        var (link, _) = Running();
        link.HostRestarted("h2", T0);

        Assert.Empty(link.Tick(T0.AddSeconds(1), () => new LinkPlacement(null, [], ["no host offers VM b"])));
        Assert.Equal((LinkPhase.Failed, LinkStatus.Failed, "no host offers VM b"), (link.Phase, link.Status, link.Detail));
        Assert.Empty(link.Tick(T0.AddMinutes(5), PlacedAt(Placed())));              // not retried by itself
        Assert.Equal(LinkPhase.Failed, link.Phase);

        Assert.Empty(link.HostsChanged(T0.AddMinutes(6)));
        Assert.Equal(LinkPhase.BackingOff, link.Phase);
        Assert.IsType<D.StartCheck>(Assert.Single(link.Tick(T0.AddMinutes(6), PlacedAt(Placed()))));
    }

    [Fact]
    public void A_link_loaded_from_the_replicas_is_checked_before_anything_is_remade()
    {
        var placed = Placed() with { Protocol = 180, Attempt = Id(99) };
        var link = new LinkLifecycle(Intent with { Placement = placed }, Settings, NextId, "checking (topology manager restarted)");

        Assert.Equal((LinkPhase.WaitingForHost, "checking (topology manager restarted)"), (link.Phase, link.Detail));
        Assert.Equal(Id(99), link.Attempt);
        var check = Assert.IsType<D.StartCheck>(Assert.Single(link.Tick(T0, PlacedAt(Placed()))));
        Assert.Equal(180, check.Spec.Protocol);
        // The hosts' reports of that attempt count from now on.
        link.Checked(check.Check, null, [End("h1", LinkStatus.Established, 180), End("h2", LinkStatus.Established, 180)], T0, PlacedAt(Placed()));
        link.EndReported(Id(99), End("h2", LinkStatus.Restarting, 180, "socket error"), T0);
        Assert.Equal(LinkPhase.Degraded, link.Phase);
    }

    [Fact]
    public void New_options_go_into_the_intent_without_the_key()
    {
        var (link, _) = Running();
        var options = LinkOptions.Default with { BandwidthBitsPerSecond = 10_000_000 };

        var record = Assert.IsType<D.RecordIntent>(Assert.Single(link.OptionsChanged(options)));

        Assert.Equal(options, record.Intent.Options);
        Assert.Equal(options, record.Intent.Placement!.Options);
        Assert.False(record.Intent.Placement.HasKey);
        Assert.Equal(options, link.State.Link.Options);
    }
}
