using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using VNet.Messages;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Discovery;

/// <summary>
/// /user/discovery. Answers every query heard on the group with this
/// host's <see cref="HostInfo"/>, unicast to the querier; runs expanding-TTL searches
/// (<see cref="SearchSchedule"/>) for whoever sends <see cref="Search"/>, streaming each host as it
/// answers; feeds what it finds to the TopologyManager. Nothing a peer sends can stop it: the
/// receive loop decodes with <see cref="DiscoveryDatagram.TryDecode"/>, counts what is malformed,
/// and rate-limits what reaches the actor and what is answered.
/// </summary>
public sealed class DiscoveryActor : ReceiveActor, IWithTimers
{
    /// <summary>The seed this node chose while bootstrapping (told to peers in every datagram); null to clear.</summary>
    public sealed record SetBootstrapSeed(string? Seed);

    /// <summary>Send <see cref="QueryHeard"/> for every peer query to <see cref="Listener"/> (the bootstrap does).</summary>
    public sealed record WatchQueries(IActorRef Listener);

    private sealed record Received(object Message, IPEndPoint From);

    private sealed record Tick(Guid SearchId);

    private sealed record Described(HostInfo? Info, string? Error);

    private sealed class ActiveSearch(SearchSchedule schedule, IActorRef subscriber)
    {
        public SearchSchedule Schedule { get; } = schedule;
        public IActorRef Subscriber { get; } = subscriber;
        public Dictionary<string, FoundHost> Found { get; } = new(StringComparer.Ordinal);
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DiscoverySettings _settings;
    private readonly DiscoveryIdentity _identity;
    private readonly IDiscoveryChannel _channel;
    private readonly Func<HostInfo> _describe;
    private readonly IActorRef? _topology;
    private readonly DiscoveryCounters _counters = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<Guid, ActiveSearch> _searches = new();
    private readonly List<(DiscoveryQuery Query, IPEndPoint From)> _pendingAnswers = new();
    private readonly List<IActorRef> _queryListeners = new();
    private readonly TokenBucket _answerBucket;
    private HostInfo? _description;
    private DateTime _describedAt;
    private bool _describing;
    private string? _bootstrapSeed;
    private MemberState _state = MemberState.NotMember;

    /// <summary>Most answers waiting for a fresh description of this host.</summary>
    public const int MaxPendingAnswers = 64;

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props. <paramref name="describe"/> reads this host's description (it may be slow: it runs off
    /// the actor); <paramref name="topology"/> (the TopologyManager proxy) receives every host found,
    /// or nobody when null.
    /// </summary>
    public static Props Props(DiscoverySettings settings, DiscoveryIdentity identity, IDiscoveryChannel channel, Func<HostInfo> describe, IActorRef? topology) =>
        Akka.Actor.Props.Create(() => new DiscoveryActor(settings, identity, channel, describe, topology));

    public DiscoveryActor(DiscoverySettings settings, DiscoveryIdentity identity, IDiscoveryChannel channel, Func<HostInfo> describe, IActorRef? topology)
    {
        _settings = settings;
        _identity = identity;
        _channel = channel;
        _describe = describe;
        _topology = topology;
        _answerBucket = new TokenBucket(settings.AnswerRate, Math.Max(1, settings.AnswerRate));

        Receive<Received>(OnReceived);
        Receive<Search>(OnSearch);
        Receive<Tick>(t => { if (_searches.TryGetValue(t.SearchId, out var s)) Apply(t.SearchId, s, s.Schedule.OnTick(Now)); });
        Receive<CancelSearch>(c => { if (_searches.TryGetValue(c.SearchId, out var s)) Apply(c.SearchId, s, s.Schedule.Cancel()); });
        Receive<Described>(OnDescribed);
        Receive<SetBootstrapSeed>(s => _bootstrapSeed = s.Seed);
        Receive<WatchQueries>(w => { _queryListeners.Add(w.Listener); Context.Watch(w.Listener); });
        Receive<GetStats>(_ => Sender.Tell(_counters.Snapshot(_settings, _channel.Interfaces)));
        Receive<Terminated>(OnTerminated);
        Receive<ClusterEvent.IMemberEvent>(OnMemberEvent);
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    private DateTime Now => Context.System.Scheduler.Now.UtcDateTime;

    /// <inheritdoc/>
    protected override void PreStart()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        var self = Self;
        var counters = _counters;
        var channel = _channel;
        var receiveBucket = new TokenBucket(_settings.ReceiveRate, _settings.ReceiveRate);
        var token = _stop.Token;
        var log = _log;
        _ = Task.Run(() => ReceiveLoop(channel, self, counters, receiveBucket, log, token));
        _log.Info("discovery on {0}:{1}, interfaces {2}", _settings.Group, _settings.Port, string.Join(", ", _channel.Interfaces));
    }

    /// <inheritdoc/>
    protected override void PostStop()
    {
        _stop.Cancel();
        _channel.Dispose();
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal)) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>
    /// Reads datagrams until stopped. Decoding happens here, off the actor: a flood of garbage costs
    /// this loop, not the actor's mailbox; at most <see cref="DiscoverySettings.ReceiveRate"/> valid
    /// datagrams per second go on to the actor.
    /// </summary>
    private static async Task ReceiveLoop(IDiscoveryChannel channel, IActorRef self, DiscoveryCounters counters, TokenBucket bucket, ILoggingAdapter log, CancellationToken token)
    {
        var buffer = new byte[65536];
        while (!token.IsCancellationRequested)
        {
            int length;
            IPEndPoint from;
            try
            {
                (length, from) = await channel.ReceiveAsync(buffer, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                // ICMP errors surface as receive errors on UDP sockets; keep listening, but never spin.
                counters.Malformed("receive-error");
                log.Debug("discovery receive failed: {0}", e.Message);
                try { await Task.Delay(50, token); } catch (OperationCanceledException) { return; }
                continue;
            }
            counters.Received();
            if (length < 0)
            {
                counters.Malformed("unauthenticated");
                continue;
            }
            if (!DiscoveryDatagram.TryDecode(buffer.AsSpan(0, length), out var message, out var error))
            {
                counters.Malformed(error ?? "invalid");
                continue;
            }
            if (!bucket.TryTake(DateTime.UtcNow))
            {
                counters.RateLimited();
                continue;
            }
            self.Tell(new Received(message!, from));
        }
    }

    private void OnReceived(Received r)
    {
        switch (r.Message)
        {
            case DiscoveryQuery q:
                _counters.Query();
                OnQuery(q, r.From);
                break;
            case DiscoveryAnswer a:
                _counters.Answer();
                OnAnswer(a);
                break;
        }
    }

    // ------------------------------------------------------------------ answering

    private void OnQuery(DiscoveryQuery query, IPEndPoint from)
    {
        if (_searches.ContainsKey(query.QueryId)) return; // our own query, back through a router
        if (_identity.IsSelf(query.Host, query.NodeAddress)) return;
        foreach (var listener in _queryListeners)
            listener.Tell(new QueryHeard(query.Host, query.NodeAddress, query.State, query.BootstrapSeed));
        if (!_answerBucket.TryTake(Now))
        {
            _counters.RateLimited();
            return;
        }
        if (_description is not null && Now - _describedAt <= _settings.DescriptionMaxAge)
        {
            SendAnswer(query, from, _description);
            return;
        }
        if (_pendingAnswers.Count >= MaxPendingAnswers)
        {
            _counters.RateLimited();
            return;
        }
        _pendingAnswers.Add((query, from));
        Describe();
    }

    private void Describe()
    {
        if (_describing) return;
        _describing = true;
        var describe = _describe;
        Task.Run(() =>
        {
            try
            {
                return new Described(describe(), null);
            }
            catch (Exception e)
            {
                return new Described(null, e.Message);
            }
        }).PipeTo(Self);
    }

    private void OnDescribed(Described d)
    {
        _describing = false;
        if (d.Info is null)
        {
            _log.Warning("cannot describe this host for discovery answers: {0}", d.Error);
            _pendingAnswers.Clear();
            return;
        }
        _description = d.Info;
        _describedAt = Now;
        foreach (var (query, from) in _pendingAnswers) SendAnswer(query, from, d.Info);
        _pendingAnswers.Clear();
    }

    private void SendAnswer(DiscoveryQuery query, IPEndPoint to, HostInfo info)
    {
        try
        {
            var datagram = DiscoveryDatagram.Encode(new DiscoveryAnswer(query.QueryId, query.Ttl, _state, info, _bootstrapSeed));
            _channel.SendAnswer(datagram, to);
            _counters.AnswerSent();
        }
        catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            _log.Warning("cannot answer the discovery query of {0} ({1}): {2}", query.Host, to, e.Message);
        }
    }

    // ------------------------------------------------------------------ searching

    private void OnSearch(Search search)
    {
        var ttlMax = search.TtlMax ?? _settings.TtlMax;
        SearchSchedule schedule;
        try
        {
            schedule = new SearchSchedule(ttlMax, search.Want, search.Step ?? _settings.Step);
        }
        catch (ArgumentOutOfRangeException e)
        {
            Sender.Tell(new Status.Failure(new ArgumentException(e.Message)));
            return;
        }
        var id = Guid.NewGuid();
        var active = new ActiveSearch(schedule, Sender);
        _searches[id] = active;
        Context.Watch(Sender);
        Sender.Tell(new SearchStarted(id, schedule.TtlMax, schedule.Want, schedule.Step));
        Apply(id, active, schedule.Start(Now));
    }

    private void Apply(Guid id, ActiveSearch search, SearchStep step)
    {
        switch (step.Kind)
        {
            case SearchStepKind.Send:
                // The next tick is armed before anyone hears of this query, so the schedule holds
                // whatever the listener does next (tests advance virtual time on QuerySent).
                Timers.StartSingleTimer(id, new Tick(id), Max(step.Until - Now, TimeSpan.Zero));
                SendQuery(id, step.Ttl);
                search.Subscriber.Tell(new QuerySent(id, step.Ttl, Now - search.Schedule.StartedAt));
                break;
            case SearchStepKind.Wait:
                if (!Timers.IsTimerActive(id)) Timers.StartSingleTimer(id, new Tick(id), Max(step.Until - Now, TimeSpan.Zero));
                break;
            case SearchStepKind.Done:
                Timers.Cancel(id);
                _searches.Remove(id);
                var hosts = search.Found.Values.OrderBy(h => h.Ttl).ThenBy(h => h.Info.Name, StringComparer.Ordinal).ToImmutableArray();
                search.Subscriber.Tell(new SearchFinished(id, hosts, step.Reason!.Value, search.Schedule.Ttl, Now - search.Schedule.StartedAt));
                if (_searches.Values.All(s => !s.Subscriber.Equals(search.Subscriber)) && !_queryListeners.Contains(search.Subscriber))
                    Context.Unwatch(search.Subscriber);
                break;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void SendQuery(Guid id, int ttl)
    {
        var query = new DiscoveryQuery(id, ttl, _state, _identity.Host, _identity.NodeAddress, _bootstrapSeed);
        try
        {
            _channel.SendQuery(DiscoveryDatagram.Encode(query), ttl);
        }
        catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            _log.Warning("cannot send the discovery query (TTL {0}): {1}", ttl, e.Message);
        }
    }

    private void OnAnswer(DiscoveryAnswer answer)
    {
        if (!_searches.TryGetValue(answer.QueryId, out var search) || answer.Ttl > search.Schedule.Ttl)
        {
            // Not a query of ours (or a TTL we never used): someone else's, late, or forged.
            _counters.Unsolicited();
            return;
        }
        var info = answer.Host;
        if (_identity.IsSelf(info.Name, info.NodeAddress)) return;
        var first = !search.Found.TryGetValue(info.Name, out var known);
        // A newer answer replaces an older one; the host stays "found at" the smallest TTL it answered.
        var latest = known is null || info.ReadAt >= known.Info.ReadAt ? info : known.Info;
        var found = new FoundHost(latest, known is null ? answer.Ttl : Math.Min(known.Ttl, answer.Ttl),
            known?.Elapsed ?? Now - search.Schedule.StartedAt, known is null || info.ReadAt >= known.Info.ReadAt ? answer.State : known.State)
        {
            BootstrapSeed = known is null || info.ReadAt >= known.Info.ReadAt ? answer.BootstrapSeed : known.BootstrapSeed,
        };
        search.Found[info.Name] = found;
        search.Subscriber.Tell(new HostFound(answer.QueryId, found, first));
        _topology?.Tell(new TopologyProtocol.Discovered(found.Info, found.Ttl, found.State));
        Apply(answer.QueryId, search, search.Schedule.OnAnswers(search.Found.Count));
    }

    private void OnTerminated(Terminated t)
    {
        _queryListeners.Remove(t.ActorRef);
        foreach (var (id, search) in _searches.Where(s => s.Value.Subscriber.Equals(t.ActorRef)).ToList())
        {
            Timers.Cancel(id);
            _searches.Remove(id);
        }
    }

    private void OnMemberEvent(ClusterEvent.IMemberEvent e)
    {
        var cluster = Cluster.Get(Context.System);
        if (!e.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress)) return;
        _state = e switch
        {
            ClusterEvent.MemberUp => MemberState.Up,
            ClusterEvent.MemberJoined or ClusterEvent.MemberWeaklyUp => MemberState.Joining,
            ClusterEvent.MemberLeft or ClusterEvent.MemberExited or ClusterEvent.MemberRemoved => MemberState.Leaving,
            _ => _state,
        };
    }

    /// <summary>Thread-safe counters of the discovery socket.</summary>
    private sealed class DiscoveryCounters
    {
        private long _received, _queries, _answers, _answersSent, _rateLimited, _unsolicited;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _malformed = new();

        public void Received() => Interlocked.Increment(ref _received);
        public void Query() => Interlocked.Increment(ref _queries);
        public void Answer() => Interlocked.Increment(ref _answers);
        public void AnswerSent() => Interlocked.Increment(ref _answersSent);
        public void RateLimited() => Interlocked.Increment(ref _rateLimited);
        public void Unsolicited() => Interlocked.Increment(ref _unsolicited);
        public void Malformed(string reason) => _malformed.AddOrUpdate(reason, 1, (_, n) => n + 1);

        public Stats Snapshot(DiscoverySettings s, ImmutableArray<string> interfaces) =>
            new(s.Group, s.Port, interfaces, Interlocked.Read(ref _received), Interlocked.Read(ref _queries), Interlocked.Read(ref _answers),
                Interlocked.Read(ref _answersSent), Interlocked.Read(ref _rateLimited), Interlocked.Read(ref _unsolicited), _malformed.ToImmutableDictionary());
    }
}
