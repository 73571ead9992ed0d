using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using VNet.Capture.Forwarding;
using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Capture.Transports;
using VNet.Messages;

namespace VNet.Actors.Tests.Hosts;

/// <summary>
/// Stands in for the DistributedPubSub mediator of a one-process "cluster": <see cref="Subscribe"/>
/// is acknowledged, <see cref="Publish"/> goes to every subscriber of the topic with the original
/// sender. It keeps what was published so tests can see the round-1 proposals.
/// </summary>
internal sealed class FakePubSubMediator : ReceiveActor
{
    /// <summary>Ask for the subscribers of a topic; the reply is an <see cref="ImmutableArray{IActorRef}"/>.</summary>
    public sealed record GetSubscribers(string Topic);

    /// <summary>Ask for every message published so far; the reply is an <see cref="ImmutableArray{Object}"/>.</summary>
    public sealed record GetPublished
    {
        public static GetPublished Instance { get; } = new();
    }

    private readonly Dictionary<string, List<IActorRef>> _subscribers = new();
    private readonly List<object> _published = new();

    public static Props Props() => Akka.Actor.Props.Create(() => new FakePubSubMediator());

    public FakePubSubMediator()
    {
        Receive<Subscribe>(s =>
        {
            if (!_subscribers.TryGetValue(s.Topic, out var refs)) _subscribers[s.Topic] = refs = new List<IActorRef>();
            if (!refs.Contains(s.Ref)) refs.Add(s.Ref);
            Sender.Tell(new SubscribeAck(s));
        });
        Receive<Publish>(p =>
        {
            _published.Add(p.Message);
            if (!_subscribers.TryGetValue(p.Topic, out var refs)) return;
            foreach (var r in refs) r.Tell(p.Message, Sender);
        });
        Receive<GetSubscribers>(g => Sender.Tell(_subscribers.TryGetValue(g.Topic, out var refs) ? refs.ToImmutableArray() : ImmutableArray<IActorRef>.Empty));
        Receive<GetPublished>(_ => Sender.Tell(_published.ToImmutableArray()));
    }
}

/// <summary>In-memory data planes: no pcap, no sockets; records what it created.</summary>
internal sealed class FakeDataPlaneFactory : IDataPlaneFactory
{
    private readonly ConcurrentQueue<FakeDataPlane> _created = new();

    /// <summary>Every data plane created so far, in order.</summary>
    public IReadOnlyList<FakeDataPlane> Created => _created.ToArray();

    /// <inheritdoc/>
    public ILinkDataPlane Create(LinkSpec link, LinkEndpoint local)
    {
        var plane = new FakeDataPlane(link, local);
        _created.Enqueue(plane);
        return plane;
    }
}

/// <summary>A data plane whose taps and transport idle: each call blocks briefly and moves nothing.</summary>
internal sealed class FakeDataPlane(LinkSpec link, LinkEndpoint local) : ILinkDataPlane
{
    private volatile bool _disposed;

    public LinkSpec Link { get; } = link;
    public LinkEndpoint Local { get; } = local;
    public bool Disposed => _disposed;

    public ITransport Transport { get; } = new IdleTransport($"fake proto {link.Protocol}");
    public int MaxFrame => Transport.PathMtu - Transport.Overhead - Capsule.Overhead;

    /// <summary>Built from the negotiated key: throws (and so fails the test) when negotiation did not carry one.</summary>
    public LinkSecurity Security { get; } = KernelDataPlaneFactory.Security(link, local);
    public int VmMtu => MaxFrame - 14;
    public IReadOnlyList<string> Warnings { get; } = [];

    public IFrameTap OpenCapture() => new IdleFrameTap(Local.HostInterface ?? "?");
    public IFrameTap OpenInjector() => new IdleFrameTap(Local.HostInterface ?? "?");

    public void Dispose()
    {
        _disposed = true;
        Transport.Dispose();
    }
}

/// <summary>A VM interface where nothing happens: <see cref="Dispatch"/> waits 20 ms and delivers no frame.</summary>
internal sealed class IdleFrameTap(string name) : IFrameTap
{
    public string Interface { get; } = name;

    public int Dispatch(IFrameSink sink, int maxFrames, int timeoutMicros)
    {
        Thread.Sleep(Math.Min(20, timeoutMicros / 1000));
        return 0;
    }

    public bool Inject(ReadOnlySpan<byte> frame) => true;
    public void Break() { }
    public void Dispose() { }
}

/// <summary>A substrate where nothing arrives: <see cref="Receive"/> waits 20 ms and returns 0.</summary>
internal sealed class IdleTransport(string description) : ITransport
{
    public string Description { get; } = description;
    public int Overhead => 20;
    public int PathMtu => 1500;

    public int Send(PacketBatch batch) => batch.Count;

    public int Receive(PacketBatch batch)
    {
        Thread.Sleep(20);
        return 0;
    }

    public ReadOnlySpan<byte> Payload(PacketBatch batch, int index) =>
        throw new InvalidOperationException("the idle transport never receives a capsule");

    public void SetTos(int tos) { }
    public void Dispose() { }
}

/// <summary>
/// A seeded <see cref="Random"/> safe to share: a HostActor hands its Random to every negotiation
/// it runs, and those run concurrently on the dispatcher's threads.
/// </summary>
internal sealed class LockedRandom(int seed) : Random(seed)
{
    private readonly object _lock = new();

    public override int Next()
    {
        lock (_lock) return base.Next();
    }

    public override int Next(int maxValue)
    {
        lock (_lock) return base.Next(maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        lock (_lock) return base.Next(minValue, maxValue);
    }

    public override double NextDouble()
    {
        lock (_lock) return base.NextDouble();
    }
}
