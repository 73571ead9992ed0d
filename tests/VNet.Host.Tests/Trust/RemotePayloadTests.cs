using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Serialization.Hyperion;
using VNet.Host.Daemon;

namespace VNet.Host.Tests.Trust;

/// <summary>
/// What a peer can make a node build from a remote payload: nothing outside VNet's allow-list.
/// Akka's JSON serializer (id 1) resolves any type name in the payload, so vnetd replaces it.
/// </summary>
public sealed class RemotePayloadTests : IDisposable
{
    private readonly ActorSystem _system;

    public RemotePayloadTests()
    {
        var hocon = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "vnetd.hocon"));
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(ConfigurationFactory.ParseString(hocon));
        _system = ActorSystem.Create("payload", BootstrapSetup.Create().WithConfig(config).And(HyperionSerializerSetup.Empty.WithTypeFilter(new HyperionAllowList())));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Set by <see cref="Canary"/>'s constructor: proves whether a payload built the type.</summary>
    public static int CanariesBuilt;

    /// <summary>A type a hostile payload names; its constructor must never run.</summary>
    public sealed class Canary
    {
        public Canary() => Interlocked.Increment(ref CanariesBuilt);

        public string Path { get; set; } = "";
    }

    [Fact]
    public void Json_serializer_payload_with_a_type_name_is_refused_and_nothing_is_built()
    {
        var before = RefusingJsonSerializer.Refused;
        var serialization = _system.Serialization;
        foreach (var type in new[] { typeof(Canary), typeof(FileSystemWatcher) })
        {
            var payload = Encoding.UTF8.GetBytes($"{{\"$type\":\"{type.AssemblyQualifiedName}\",\"Path\":\"/tmp\",\"EnableRaisingEvents\":true}}");
            Assert.ThrowsAny<SerializationException>(() => serialization.Deserialize(payload, 1, type.AssemblyQualifiedName));
            Assert.ThrowsAny<SerializationException>(() => serialization.Deserialize(payload, 1, ""));
        }
        Assert.Equal(0, CanariesBuilt);
        Assert.Equal(before + 4, RefusingJsonSerializer.Refused);
    }

    [Fact]
    public void Unknown_serializer_id_is_refused()
    {
        Assert.ThrowsAny<Exception>(() => _system.Serialization.Deserialize([1, 2, 3], 9999, "x"));
    }

    [Fact]
    public void A_type_without_binding_is_not_sent()
    {
        // allow-unregistered-types = false: no silent fallback to a serializer that writes type names.
        Assert.ThrowsAny<SerializationException>(() => _system.Serialization.FindSerializerFor(new System.Text.StringBuilder("x")));
    }
}
