using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;

namespace VNet.Actors.Discovery;

/// <summary>
/// The discovery datagram's authenticator (docs/discovery.md, "Authentication"): the first 16
/// bytes of HMAC-SHA256 over the whole datagram, keyed with the cluster key, appended to it.
/// Pure code: no sockets, no clocks.
/// </summary>
public static class DiscoverySeal
{
    /// <summary>Bytes the tag adds to every datagram.</summary>
    public const int TagLength = 16;

    /// <summary>Writes <paramref name="datagram"/> and its tag into <paramref name="destination"/>; returns the sealed length.</summary>
    public static int Seal(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        datagram.CopyTo(destination);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, datagram, mac);
        mac[..TagLength].CopyTo(destination[datagram.Length..]);
        return datagram.Length + TagLength;
    }

    /// <summary>True when the last <see cref="TagLength"/> bytes authenticate the rest; <paramref name="length"/> is the datagram's.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> sealedDatagram, ReadOnlySpan<byte> key, out int length)
    {
        length = sealedDatagram.Length - TagLength;
        if (length <= 0) { length = 0; return false; }
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, sealedDatagram[..length], mac);
        return CryptographicOperations.FixedTimeEquals(mac[..TagLength], sealedDatagram[length..]);
    }
}

/// <summary>
/// A discovery channel whose datagrams carry the cluster key's tag: queries and answers of hosts
/// without the key are dropped before they are decoded, so a spoofed answer cannot steer bootstrap
/// (which seed a fresh node joins) or placement (the load and VMs a host claims).
/// </summary>
public sealed class SealedDiscoveryChannel(IDiscoveryChannel inner, byte[] key) : IDiscoveryChannel
{
    private readonly byte[] _send = new byte[DiscoveryDatagram.MaxLength + DiscoverySeal.TagLength];

    /// <inheritdoc/>
    public ImmutableArray<string> Interfaces => inner.Interfaces;

    /// <inheritdoc/>
    public void SendQuery(ReadOnlySpan<byte> datagram, int ttl)
    {
        lock (_send) inner.SendQuery(_send.AsSpan(0, DiscoverySeal.Seal(datagram, key, _send)), ttl);
    }

    /// <inheritdoc/>
    public void SendAnswer(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        lock (_send) inner.SendAnswer(_send.AsSpan(0, DiscoverySeal.Seal(datagram, key, _send)), to);
    }

    /// <inheritdoc/>
    public async ValueTask<(int Length, IPEndPoint From)> ReceiveAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        var (length, from) = await inner.ReceiveAsync(buffer, cancel);
        return (DiscoverySeal.TryOpen(buffer.Span[..length], key, out var open) ? open : -1, from);
    }

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();
}
