using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using VNet.Actors.Commands;
using VNet.Actors.Commands.Palettes;
using VNet.Host.Console;

namespace VNet.Host.Experiments;

/// <summary><see cref="IExperimentConsole"/> over a node's console socket (<see cref="ConsoleConnection"/>, the text <c>run</c> request).</summary>
public sealed class ConsoleExperimentConsole : IExperimentConsole
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
    private readonly ConsoleConnection _connection;

    private ConsoleExperimentConsole(ConsoleConnection connection) => _connection = connection;

    /// <summary>Connects to the node at <paramref name="endpoint"/>.</summary>
    public static async Task<IExperimentConsole> ConnectAsync(ConsoleEndpoint endpoint, CancellationToken cancel) =>
        new ConsoleExperimentConsole(await ConsoleConnection.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), cancel));

    /// <inheritdoc/>
    public ImmutableArray<PaletteDefinition> Palettes => _connection.Hello.Palettes;

    /// <inheritdoc/>
    public async Task<CommandReply> RunAsync(IReadOnlyList<string> words, CancellationToken cancel)
    {
        CommandRequest request;
        try
        {
            request = ConsoleClient.Parse(Palettes, words, json: false);
        }
        catch (CommandException e)
        {
            return new CommandReply(e.Exit, "", e.Message);
        }
        var (lines, end) = await _connection.RunToEndAsync(request, cancel);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            switch (line)
            {
                case ConsoleLine.Text t: text.AppendLine(t.Line); break;
                case ConsoleLine.Table t: text.Append(TableRenderer.Render(t)); break;
            }
        }
        return new CommandReply(end.Exit, text.ToString().TrimEnd(), end.Error);
    }

    /// <inheritdoc/>
    public async Task<ImmutableArray<LinkShown>> LinksAsync(CancellationToken cancel)
    {
        var (lines, end) = await _connection.RunToEndAsync(_connection.Request("link", "show", json: true), cancel);
        if (end.Exit != 0) throw new CommandException($"link show: {end.Error}", end.Exit);
        return Data<ImmutableArray<LinkShown>>(lines);
    }

    /// <inheritdoc/>
    public async Task<LinkSample> SampleAsync(string link, CancellationToken cancel)
    {
        var args = new Dictionary<string, string> { ["id"] = link };
        var (shown, showEnd) = await _connection.RunToEndAsync(_connection.Request("link", "show", args, json: true), cancel);
        if (showEnd.Exit != 0) return new LinkSample(null, []);
        var status = Data<ImmutableArray<LinkShown>>(shown).FirstOrDefault()?.Status;
        var (stats, statsEnd) = await _connection.RunToEndAsync(_connection.Request("link", "stats", args, json: true), cancel);
        if (statsEnd.Exit != 0) return new LinkSample(status, []);
        var counters = Data<ImmutableArray<LinkPalette.StatsView>>(stats);
        return new LinkSample(status, [.. counters.Select(c => new LinkCounters(c.Host, c.Direction, c.Frames, c.Bytes, c.Drops.Values.Sum()))]);
    }

    private static T Data<T>(List<ConsoleLine> lines) where T : struct =>
        lines.OfType<ConsoleLine.Data>().FirstOrDefault()?.Value is { } node ? node.Deserialize<T>(Json) : default;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
