using System.Collections.Immutable;
using System.Text;
using VNet.Client;
using VNet.Host.Console;
using VNet.Messages.Commands;

namespace VNet.Host.Experiments;

/// <summary>
/// <see cref="IExperimentConsole"/> over a node's console socket: a step's command goes as the text
/// the user wrote (the node's palette parses it, as at the prompt); what the runner reads back —
/// links, their phase and counters — comes from typed requests (<see cref="VNetClient"/>).
/// </summary>
public sealed class ConsoleExperimentConsole : IExperimentConsole
{
    private readonly ConsoleConnection _connection;
    private readonly VNetClient _client;

    private ConsoleExperimentConsole(ConsoleConnection connection, VNetClient client)
    {
        _connection = connection;
        _client = client;
    }

    /// <summary>Connects to the node at <paramref name="endpoint"/>.</summary>
    public static async Task<IExperimentConsole> ConnectAsync(ConsoleEndpoint endpoint, CancellationToken cancel)
    {
        var connection = await ConsoleConnection.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), cancel);
        try
        {
            return new ConsoleExperimentConsole(connection, await VNetClient.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), cancel));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

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
    public async Task<ImmutableArray<LinkShown>> LinksAsync(CancellationToken cancel) =>
        await _client.AskAsync(new GetLinks(), cancel) is LinkList list ? [.. list.Links.Select(Shown)] : [];

    /// <inheritdoc/>
    public async Task<LinkSample> SampleAsync(string link, CancellationToken cancel)
    {
        string? status;
        try
        {
            status = await _client.AskAsync(new GetLinks(link), cancel) is LinkList { Links: [var state, ..] } ? Phase(state) : null;
        }
        catch (CommandException)
        {
            return new LinkSample(null, []);
        }
        try
        {
            if (await _client.AskAsync(new GetLinkStats(link), cancel) is not LinkStats stats) return new LinkSample(status, []);
            return new LinkSample(status, [.. stats.Directions.Select(d => new LinkCounters(d.Host, d.Direction, d.Counters.Frames, d.Counters.Bytes, d.Counters.TotalDrops))]);
        }
        catch (CommandException)
        {
            return new LinkSample(status, []);
        }
    }

    private static LinkShown Shown(LinkState l) =>
        new(l.Link.Id, Phase(l), [.. l.Link.Endpoints.Select(e => $"{e.Vm}@{e.Host}")], l.VmMtu);

    /// <summary>A link's phase as `link show` prints it (<c>established</c>, <c>waiting-for-host</c>).</summary>
    private static string Phase(LinkState l) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(l.Phase.ToString());

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
