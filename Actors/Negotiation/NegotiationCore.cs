namespace VNet.Actors.Negotiation;

/// <summary>What a negotiation step decided; the actor around the core carries it out.</summary>
public abstract record Decision
{
    /// <summary>Send a proposal of <paramref name="Protocol"/> in round <paramref name="Round"/>.</summary>
    public sealed record Propose(int Protocol, int Round) : Decision;

    /// <summary>Reply OK(<paramref name="Protocol"/>).</summary>
    public sealed record Ok(int Protocol) : Decision;

    /// <summary>Reply NOK with a counter-proposal.</summary>
    public sealed record Nok(int CounterProposal) : Decision;

    /// <summary>Wait for more answers (multipoint: not every member has answered this round).</summary>
    public sealed record Wait : Decision
    {
        /// <summary>The single instance.</summary>
        public static Wait Instance { get; } = new();
    }

    /// <summary>Agreed on <paramref name="Protocol"/>; it is committed in the table.</summary>
    public sealed record Agreed(int Protocol) : Decision;

    /// <summary>Give up; everything reserved has been released.</summary>
    public sealed record Fail(string Reason) : Decision;
}

/// <summary>Limits of a negotiation.</summary>
public sealed record NegotiationLimits(int MaxRounds, TimeSpan ReservationTtl, TimeSpan Timeout)
{
    /// <summary>Defaults: 16 rounds, 10 s reservations, 10 s overall.</summary>
    public static NegotiationLimits Default { get; } = new(16, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
}

/// <summary>
/// The initiator's rules, for one or more responders (one for a
/// point-to-point link, every other member for a multipoint segment). Pure: the table and the
/// time are passed in.
/// </summary>
public sealed class InitiatorCore
{
    private readonly ProtocolNumberTable _table;
    private readonly Random _random;
    private readonly string _owner;
    private readonly string _linkId;
    private readonly NegotiationLimits _limits;
    private readonly HashSet<string> _responders;
    private readonly HashSet<string> _accepted = new();
    private readonly HashSet<int> _takenAtResponders = new();
    private readonly string _scope;

    /// <summary>
    /// Creates the core for negotiation <paramref name="owner"/> of link <paramref name="linkId"/>; its
    /// number is taken in <paramref name="scope"/> of the table (see <see cref="ProtocolScopes"/>).
    /// </summary>
    public InitiatorCore(ProtocolNumberTable table, Random random, string owner, string linkId, IEnumerable<string> responders, NegotiationLimits limits,
        string scope = ProtocolNumberTable.HostWide)
    {
        _table = table;
        _scope = scope;
        _random = random;
        _owner = owner;
        _linkId = linkId;
        _limits = limits;
        _responders = responders.ToHashSet();
        if (_responders.Count == 0) throw new ArgumentException("a negotiation needs at least one responder");
    }

    /// <summary>The number proposed in the current round (0 before <see cref="Start"/>).</summary>
    public int Current { get; private set; }

    /// <summary>The current round, from 1.</summary>
    public int Round { get; private set; }

    /// <summary>
    /// Picks a free number at random and reserves it (step 1); a <paramref name="preferred"/> number
    /// (from a saved network) is tried first.
    /// </summary>
    public Decision Start(DateTime now, int preferred = 0)
    {
        var expires = now + _limits.ReservationTtl;
        var p = preferred != 0 && _table.TryReserve(preferred, _owner, expires, now, _scope) ? preferred : _table.ReserveRandomFree(_random, _owner, expires, now, scope: _scope);
        if (p is null) return new Decision.Fail($"no free {_table.What} on this host{ProtocolScopes.Toward(_scope)}: all {_table.Size} of {_table.First}-{_table.Last} are in use or reserved");
        Current = p.Value;
        Round = 1;
        return new Decision.Propose(Current, Round);
    }

    /// <summary>A responder accepted <paramref name="protocol"/>.</summary>
    public Decision OnOk(string responder, int protocol, int round, DateTime now)
    {
        if (round != Round || protocol != Current || !_responders.Contains(responder)) return Decision.Wait.Instance; // stale or foreign
        _accepted.Add(responder);
        if (_accepted.Count < _responders.Count) return Decision.Wait.Instance;
        if (!_table.Commit(Current, _owner, _linkId, now))
        {
            _table.Release(_owner);
            return new Decision.Fail($"the reservation of {_table.What} {Current} expired before every host agreed");
        }
        return new Decision.Agreed(Current);
    }

    /// <summary>
    /// A responder has <see cref="Current"/> taken and proposes <paramref name="counter"/> (step 3):
    /// propose it again when it is free here, otherwise pick a new number.
    /// </summary>
    public Decision OnNok(string responder, int counter, int round, DateTime now)
    {
        if (round != Round || !_responders.Contains(responder)) return Decision.Wait.Instance;
        _takenAtResponders.Add(Current);
        if (Round >= _limits.MaxRounds)
        {
            _table.Release(_owner);
            return new Decision.Fail($"no {_table.What} agreed after {_limits.MaxRounds} rounds");
        }
        _table.Release(Current, _owner);
        _accepted.Clear();
        Round++;
        var expires = now + _limits.ReservationTtl;
        if (!_takenAtResponders.Contains(counter) && _table.TryReserve(counter, _owner, expires, now, _scope))
        {
            Current = counter;
            return new Decision.Propose(Current, Round);
        }
        var fresh = _table.ReserveRandomFree(_random, _owner, expires, now, _takenAtResponders, _scope);
        if (fresh is null)
        {
            _table.Release(_owner);
            return new Decision.Fail($"no {_table.What} is free both here and at {responder}");
        }
        Current = fresh.Value;
        return new Decision.Propose(Current, Round);
    }

    /// <summary>Gives up (timeout, refusal, abort): releases everything this negotiation holds.</summary>
    public Decision.Fail Abandon(string reason)
    {
        _table.Release(_owner);
        return new Decision.Fail(reason);
    }
}

/// <summary>
/// The responder's rules: a free number is accepted and reserved until the
/// initiator confirms; a taken one is answered with a reserved free counter-proposal.
/// </summary>
public sealed class ResponderCore
{
    private readonly ProtocolNumberTable _table;
    private readonly Random _random;
    private readonly string _owner;
    private readonly string _linkId;
    private readonly NegotiationLimits _limits;
    private readonly string _scope;

    /// <summary>
    /// Creates the core for negotiation <paramref name="owner"/> of link <paramref name="linkId"/>; its
    /// number is held in <paramref name="scope"/> of the table (see <see cref="ProtocolScopes"/>).
    /// </summary>
    public ResponderCore(ProtocolNumberTable table, Random random, string owner, string linkId, NegotiationLimits limits,
        string scope = ProtocolNumberTable.HostWide)
    {
        _table = table;
        _scope = scope;
        _random = random;
        _owner = owner;
        _linkId = linkId;
        _limits = limits;
    }

    /// <summary>The number this side holds (accepted or counter-proposed); 0 when none.</summary>
    public int Held { get; private set; }

    /// <summary>True once OK was sent for <see cref="Held"/>.</summary>
    public bool Accepted { get; private set; }

    /// <summary>A proposal of <paramref name="protocol"/> arrived.</summary>
    public Decision OnPropose(int protocol, DateTime now)
    {
        var expires = now + _limits.ReservationTtl;
        // TryReserve also renews a number this negotiation already holds. Held alone is not proof
        // of holding it: once its reservation expired another negotiation may have taken it.
        if (_table.TryReserve(protocol, _owner, expires, now, _scope))
        {
            if (Held != 0 && Held != protocol) _table.Release(Held, _owner);
            Held = protocol;
            Accepted = true;
            return new Decision.Ok(protocol);
        }
        if (Held != 0) _table.Release(Held, _owner);
        Accepted = false;
        var counter = _table.ReserveRandomFree(_random, _owner, expires, now, new HashSet<int> { protocol }, _scope);
        if (counter is null)
        {
            Held = 0;
            return new Decision.Fail($"no free {_table.What}{ProtocolScopes.Toward(_scope)}: all {_table.Size} of {_table.First}-{_table.Last} are in use or reserved");
        }
        Held = counter.Value;
        return new Decision.Nok(Held);
    }

    /// <summary>The initiator confirmed the accepted number: commit it for the link.</summary>
    public Decision OnConfirm(int protocol, DateTime now)
    {
        if (!Accepted || protocol != Held) return Abandon($"confirmation for {_table.What} {protocol} does not match the accepted {Held}");
        return _table.Commit(Held, _owner, _linkId, now)
            ? new Decision.Agreed(Held)
            : Abandon($"the reservation of {_table.What} {Held} expired before the confirmation");
    }

    /// <summary>Gives up: releases what this side holds.</summary>
    public Decision.Fail Abandon(string reason)
    {
        _table.Release(_owner);
        Held = 0;
        Accepted = false;
        return new Decision.Fail(reason);
    }
}
