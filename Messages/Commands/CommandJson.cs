using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace VNet.Messages.Commands;

/// <summary>
/// The JSON form of the command messages, for the console socket and for <c>--json</c>: camelCase
/// members, enums and link kinds as the console writes them (<c>raw-p2p</c>, <c>established</c>),
/// MAC addresses as <c>02:00:00:00:01:01</c>, and every <see cref="ICommandMessage"/> written with a
/// <c>"type"</c> member: its type name in kebab case (<see cref="LinkCreated"/> is
/// <c>link-created</c>). A link's key is never written.
/// </summary>
public static class CommandJson
{
    /// <summary>The member that names a message's type.</summary>
    public const string TypeProperty = "type";

    /// <summary>Every concrete command message (requests, items, replies), found once.</summary>
    public static IReadOnlyList<Type> MessageTypes { get; } = [.. typeof(ICommandMessage).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICommandMessage).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>The <c>"type"</c> of a message type.</summary>
    public static string Discriminator(Type type) => JsonNamingPolicy.KebabCaseLower.ConvertName(type.Name);

    /// <summary>Options for lines on the wire (compact).</summary>
    public static JsonSerializerOptions Wire { get; } = Create(indented: false);

    /// <summary>Options for what people and scripts read (<c>--json</c>: indented).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    /// <summary>A message as compact JSON, with its <c>"type"</c>.</summary>
    public static string Serialize(ICommandMessage message) => JsonSerializer.Serialize(message, Wire);

    /// <summary>Reads a message written by <see cref="Serialize"/>; throws <see cref="JsonException"/> on malformed input or an unknown type.</summary>
    public static ICommandMessage Deserialize(string json) =>
        JsonSerializer.Deserialize<ICommandMessage>(json, Wire) ?? throw new JsonException("empty command message");

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            // Read by people and shells, never embedded in HTML: "don't", not "don\u0027t".
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // A hand-written line may put "type" anywhere; the reader should not care.
            AllowOutOfOrderMetadataProperties = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { Polymorphism, NoKeys } },
            Converters = { new LinkKindJsonConverter(), new MacAddressJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private static void Polymorphism(JsonTypeInfo info)
    {
        if (info.Type != typeof(ICommandMessage)) return;
        var polymorphism = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = TypeProperty,
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var type in MessageTypes) polymorphism.DerivedTypes.Add(new JsonDerivedType(type, Discriminator(type)));
        info.PolymorphismOptions = polymorphism;
    }

    // A link's key is the secret of its capsules: it stays between the hosts of the link.
    private static void NoKeys(JsonTypeInfo info)
    {
        if (info.Type != typeof(LinkSpec)) return;
        foreach (var p in info.Properties.Where(p => p.Name is "key" or "hasKey").ToList()) info.Properties.Remove(p);
    }
}

/// <summary>Writes link kinds as the console names them (<c>raw-p2p</c>), and reads them back.</summary>
public sealed class LinkKindJsonConverter : JsonConverter<LinkKind>
{
    /// <inheritdoc/>
    public override LinkKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        LinkKinds.TryParse(reader.GetString(), out var kind) ? kind : throw new JsonException($"'{reader.GetString()}' is not a link kind ({LinkKinds.AllNames})");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, LinkKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}

/// <summary>Writes MAC addresses as "02:00:00:00:01:01" (and reads them back).</summary>
public sealed class MacAddressJsonConverter : JsonConverter<MacAddress>
{
    /// <inheritdoc/>
    public override MacAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        MacAddress.TryParse(reader.GetString(), out var mac) ? mac : throw new JsonException($"'{reader.GetString()}' is not a MAC address");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, MacAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
