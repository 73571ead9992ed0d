using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Event;
using Akka.Serialization;

namespace VNet.Host.Daemon;

/// <summary>
/// Takes the place of Akka's Newtonsoft JSON serializer (id 1). That serializer builds whatever
/// .NET type a payload names, so a peer could make a node construct and start arbitrary objects;
/// VNet's own messages go through the allow-listed Hyperion serializer and Akka's through their
/// own, so nothing needs JSON. Anything that arrives with id 1 is refused before any type is
/// resolved, and a local attempt to send an unbound type fails loudly instead of leaking onto the wire.
/// </summary>
public sealed class RefusingJsonSerializer : Serializer
{
    /// <summary>Created by Akka's serialization extension.</summary>
    public RefusingJsonSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <summary>Created by Akka's serialization extension with the serializer's settings (ignored).</summary>
    public RefusingJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config config) : base(system)
    {
    }

    /// <summary>Payloads refused so far (for tests and the log).</summary>
    public static long Refused;

    /// <inheritdoc/>
    public override int Identifier => 1;

    /// <inheritdoc/>
    public override bool IncludeManifest => false;

    /// <inheritdoc/>
    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType().FullName} has no serializer binding: only VNet's messages (Hyperion, allow-listed) and Akka's own may cross the network");

    /// <inheritdoc/>
    public override object FromBinary(byte[] bytes, Type type)
    {
        Interlocked.Increment(ref Refused);
        system.Log.Warning("refused a remote payload for the JSON serializer (id 1, {0} bytes): it may name any .NET type, so VNet never reads it", bytes.Length);
        throw new SerializationException("the JSON serializer (id 1) is disabled on VNet nodes");
    }
}
