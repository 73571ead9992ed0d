using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Threading.Channels;
using VNet.Actors.Discovery;

namespace VNet.Actors.Tests.Discovery;

/// <summary>An in-memory discovery socket: records what the actor sends, delivers what a test injects.</summary>
public sealed class FakeDiscoveryChannel : IDiscoveryChannel
{
    private readonly Channel<(byte[] Datagram, IPEndPoint From)> _incoming = Channel.CreateUnbounded<(byte[], IPEndPoint)>();

    /// <summary>Queries sent, with their TTL.</summary>
    public ConcurrentQueue<(byte[] Datagram, int Ttl)> Queries { get; } = new();

    /// <summary>Answers sent, with their destination.</summary>
    public ConcurrentQueue<(byte[] Datagram, IPEndPoint To)> Answers { get; } = new();

    public ImmutableArray<string> Interfaces => ["eth0"];

    public void SendQuery(ReadOnlySpan<byte> datagram, int ttl) => Queries.Enqueue((datagram.ToArray(), ttl));

    public void SendAnswer(ReadOnlySpan<byte> datagram, IPEndPoint to) => Answers.Enqueue((datagram.ToArray(), to));

    /// <summary>Makes a datagram arrive.</summary>
    public void Deliver(byte[] datagram, IPEndPoint from) => _incoming.Writer.TryWrite((datagram, from));

    public async ValueTask<(int Length, IPEndPoint From)> ReceiveAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        var (datagram, from) = await _incoming.Reader.ReadAsync(cancel);
        var n = Math.Min(datagram.Length, buffer.Length);
        datagram.AsMemory(0, n).CopyTo(buffer);
        return (n, from);
    }

    public void Dispose() => _incoming.Writer.TryComplete();
}
