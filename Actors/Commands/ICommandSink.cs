using System.Collections.Immutable;
using System.Text.Json;
using VNet.Client;

namespace VNet.Actors.Commands;

/// <summary>Where a running command writes its output blocks.</summary>
public interface ICommandSink
{
    /// <summary>Sends one block to the client now (commands stream).</summary>
    Task EmitAsync(ConsoleLine line);
}

/// <summary>Convenience for palettes.</summary>
public static class CommandSinkExtensions
{
    /// <summary>Emits a table (text form) or the data (JSON form), depending on what the client asked.</summary>
    public static Task ResultAsync(this ICommandSink sink, CommandRequest request, string? title, string[] columns, IEnumerable<string[]> rows, object? data) =>
        request.Json
            ? sink.EmitAsync(new ConsoleLine.Data(JsonSerializer.SerializeToNode(data, ConsoleLine.DataOptions)))
            : sink.EmitAsync(new ConsoleLine.Table(title, [.. columns], [.. rows.Select(r => r.ToImmutableArray())]));

    /// <summary>Emits a line (text form) or the data (JSON form).</summary>
    public static Task MessageAsync(this ICommandSink sink, CommandRequest request, string text, object? data) =>
        request.Json
            ? sink.EmitAsync(new ConsoleLine.Data(JsonSerializer.SerializeToNode(data, ConsoleLine.DataOptions)))
            : sink.EmitAsync(new ConsoleLine.Text(text));
}
