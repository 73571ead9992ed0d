using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VNet.Messages.Commands;

namespace VNet.Client;

/// <summary>A switch of a console command (<c>--name value</c>, or <c>--name</c> alone for a flag).</summary>
public sealed record SwitchDefinition(string Name, string Description, bool Required = false, bool IsFlag = false, string? Default = null)
{
    /// <summary>
    /// The value names a file the client reads and sends along (as argument <c>@name</c>, base64).
    /// Informational for the client, which reads files only for the switches it knows to be input files.
    /// </summary>
    public bool InputFile { get; init; }

    /// <summary>
    /// The value names a file the client writes from the <see cref="ConsoleLine.File"/> the command returns.
    /// Informational for the client, which writes only for the switches it knows to be output files.
    /// </summary>
    public bool OutputFile { get; init; }
}

/// <summary>A command of a palette, as the client downloads it on connect.</summary>
public sealed record CommandDefinition(string Name, string Description, ImmutableArray<SwitchDefinition> Switches)
{
    /// <summary>A command with the given switches.</summary>
    public static CommandDefinition Of(string name, string description, params SwitchDefinition[] switches) => new(name, description, [.. switches]);
}

/// <summary>A named group of commands (Petabridge.Cmd's palette).</summary>
public sealed record PaletteDefinition(string Name, string Description, ImmutableArray<CommandDefinition> Commands)
{
    /// <summary>The command run when only the palette is named (<c>vnet hosts</c>, <c>vnet discover --want 2</c>); null = none.</summary>
    public string? DefaultCommand { get; init; }
}

/// <summary>One command as the client sends it.</summary>
public sealed record CommandRequest(string Palette, string Command, ImmutableDictionary<string, string> Args, bool Json);

/// <summary>
/// One line of the console protocol (newline-delimited JSON). The server sends <see cref="Hello"/>
/// on connect, then answers each request with blocks and one <see cref="End"/>. A request comes
/// as text switches (<see cref="Run"/>, for people: the `vnet` command line and prompt), answered by
/// tables, text and data, or as a typed request (<see cref="Ask"/>, for programs), answered by the
/// items it streams (<see cref="Item"/>) and its one reply (<see cref="Reply"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "t")]
[JsonDerivedType(typeof(Hello), "hello")]
[JsonDerivedType(typeof(Run), "run")]
[JsonDerivedType(typeof(Table), "table")]
[JsonDerivedType(typeof(Text), "text")]
[JsonDerivedType(typeof(Data), "data")]
[JsonDerivedType(typeof(End), "end")]
[JsonDerivedType(typeof(File), "file")]
[JsonDerivedType(typeof(Ask), "ask")]
[JsonDerivedType(typeof(Item), "item")]
[JsonDerivedType(typeof(Reply), "reply")]
public abstract record ConsoleLine
{
    /// <summary>Server greeting: the node and its palettes (so `help` always matches the node).</summary>
    public sealed record Hello(string Node, string Address, ImmutableArray<PaletteDefinition> Palettes) : ConsoleLine;

    /// <summary>Client request, as text switches.</summary>
    public sealed record Run(CommandRequest Request) : ConsoleLine;

    /// <summary>Client request, typed: one of the requests of <c>VNet.Messages.Commands</c>.</summary>
    public sealed record Ask(ICommandMessage Request) : ConsoleLine;

    /// <summary>One item a typed request streams (capture data, a membership event, search progress).</summary>
    public sealed record Item(ICommandMessage Value) : ConsoleLine;

    /// <summary>The reply to a typed request; the <see cref="End"/> line follows.</summary>
    public sealed record Reply(ICommandMessage Value) : ConsoleLine;

    /// <summary>A table for people.</summary>
    public sealed record Table(string? Title, ImmutableArray<string> Columns, ImmutableArray<ImmutableArray<string>> Rows) : ConsoleLine;

    /// <summary>A line of text for people.</summary>
    public sealed record Text(string Line) : ConsoleLine;

    /// <summary>A JSON value for scripts (<c>--json</c>).</summary>
    public sealed record Data(JsonNode? Value) : ConsoleLine;

    /// <summary>
    /// Bytes of the command's file output. <paramref name="Path"/> is the node's idea of where they go
    /// (the value of the output-file switch); the client writes them only to the path its user gave.
    /// </summary>
    public sealed record File(string Path, string Base64) : ConsoleLine
    {
        /// <summary>Append to what earlier File lines of this response wrote (streamed files).</summary>
        public bool Append { get; init; }
    }

    /// <summary>End of a response: exit code (0 ok, 1 failed, 2 usage) and the error, if any.</summary>
    public sealed record End(int Exit, string? Error) : ConsoleLine;

    /// <summary>
    /// Longest line either side reads, in characters (8 MiB): room for a request carrying the largest
    /// network file (4 MiB, which base64 makes 5.4 MiB) and nothing so large that one line can
    /// exhaust a node's memory.
    /// </summary>
    public const int MaxLineChars = 8 << 20;

    // The command messages' options: the line's own "t" and the typed messages' "type" side by side.
    private static JsonSerializerOptions Options => CommandJson.Wire;

    /// <summary>The line as JSON text (no newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses a line; throws <see cref="JsonException"/> on malformed input.</summary>
    public static ConsoleLine Parse(string json) => JsonSerializer.Deserialize<ConsoleLine>(json, Options) ?? throw new JsonException("empty console line");

    /// <summary>JSON serialization options used for data values (<c>--json</c>).</summary>
    public static JsonSerializerOptions DataOptions => CommandJson.Indented;
}

/// <summary>Exit codes of the `vnet` client.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The command ran and failed (bad value, unknown link, cluster refused...).</summary>
    public const int Failed = 1;
    /// <summary>The command line is wrong (unknown command or switch, missing value).</summary>
    public const int Usage = 2;
    /// <summary>The node could not be reached.</summary>
    public const int Unreachable = 3;
    /// <summary>The topology manager is moving to another node or out of this node's reach: try again later.</summary>
    public const int Retry = 4;
}

/// <summary>A command failed in a way the user can fix; the message says what and where.</summary>
public sealed class CommandException(string message, int exit = ExitCodes.Failed) : Exception(message)
{
    /// <summary>The exit code the client ends with.</summary>
    public int Exit { get; } = exit;
}

