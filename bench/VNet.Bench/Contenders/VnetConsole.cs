using System.Text.Json.Nodes;
using VNet.Actors.Commands;
using VNet.Host.Console;

namespace VNet.Bench.Contenders;

/// <summary>The console commands the benchmark sends a VNet node — the same ones an operator types, with JSON answers.</summary>
public static class VnetConsole
{
    /// <summary>Runs one command on the node behind <paramref name="socket"/>; returns its JSON data and end line.</summary>
    public static async Task<(JsonNode? Data, ConsoleLine.End End)> RunAsync(string socket, string palette, string command, Dictionary<string, string>? args, CancellationToken cancel)
    {
        await using var c = await ConsoleConnection.ConnectAsync(ConsoleEndpoint.Unix(socket), TimeSpan.FromSeconds(5), cancel);
        var (lines, end) = await c.RunToEndAsync(c.Request(palette, command, args, json: true), cancel);
        return (lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value, end);
    }
}
