using System.Net.Http.Json;
using Spectre.Console;

namespace VNet.Host.Observability;

/// <summary>
/// <c>vnet top</c>: a live table of every link end with the rate of each direction and the drops,
/// read from a node's <c>/api/topology</c> (the whole cluster, as the topology page shows it).
/// </summary>
public static class TopView
{
    /// <summary>Polls <paramref name="node"/> every <paramref name="interval"/>; stops after <paramref name="count"/> refreshes (null: until Ctrl-C).</summary>
    public static async Task<int> RunAsync(Uri node, TimeSpan interval, int? count, IAnsiConsole console, CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var api = new Uri(node, "api/topology");
        TopologyView? previous = null;
        var table = Render(null, []);
        await console.Live(table).AutoClear(false).StartAsync(async live =>
        {
            for (var i = 0; count is null || i < count; i++)
            {
                TopologyView view;
                try
                {
                    view = await http.GetFromJsonAsync<TopologyView>(api, ObservabilityServer.Json, cancel)
                        ?? throw new HttpRequestException("empty answer");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
                {
                    live.UpdateTarget(new Markup($"[red]cannot read {Markup.Escape(api.ToString())}: {Markup.Escape(e.Message)}[/]"));
                    live.Refresh();
                    await Task.Delay(interval, cancel);
                    continue;
                }
                live.UpdateTarget(Render(view, LinkRates.Between(previous, view)));
                live.Refresh();
                previous = view;
                if (count is null || i < count - 1) await Task.Delay(interval, cancel);
            }
        });
        return 0;
    }

    /// <summary>The table of one refresh.</summary>
    public static Table Render(TopologyView? view, IReadOnlyList<EndRate> rows)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title(view is null ? "vnet top: reading…" : $"vnet top — node {view.Node}, {DateTimeOffset.FromUnixTimeMilliseconds(view.TimeUnixMs):HH:mm:ss} UTC{(view.Problem is null ? "" : " — " + view.Problem)}");
        table.AddColumns("link", "kind", "state", "end", "vm→net", "net→vm", "drops/s", "drops");
        foreach (var c in table.Columns.Skip(4)) c.RightAligned();
        foreach (var r in rows)
        {
            var state = r.State == "established" ? $"[green]{r.State}[/]" : $"[red]{Markup.Escape(r.State)}[/]";
            table.AddRow(Markup.Escape(r.Link), r.Kind, state, Markup.Escape(r.End), LinkRates.Format(r.VmToNetBitsPerSecond), LinkRates.Format(r.NetToVmBitsPerSecond),
                r.DropsPerSecond.ToString("0", System.Globalization.CultureInfo.InvariantCulture), r.Drops.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (rows.Count == 0) table.AddRow("[grey]no links[/]", "", "", "", "", "", "", "");
        return table;
    }
}
