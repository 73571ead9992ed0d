using System.Collections.Immutable;
using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using VNet.Messages;
using static VNet.Messages.DiscoveryProtocol;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>discover</c> palette: <c>vnet discover [--ttl-max N] [--want K]</c>
/// runs the expanding-TTL multicast search from this node and shows each host as it answers, with
/// the TTL at which it was found; at the end, every host with its interfaces, gateways, VMs and
/// load. Answers are not refreshed on a timer: running the search again is the refresh.
/// </summary>
public sealed class DiscoverPalette(CommandContext context, IActorRef discovery) : IPalette
{
    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("discover", "resource discovery: expanding-TTL multicast search (paper III.A)", [
        CommandDefinition.Of("search", "search for hosts: TTL 1, then TTL+1 every step, until --want hosts answered or --ttl-max",
            new SwitchDefinition("ttl-max", "largest TTL to try, 1-255 (default: vnet.discovery.ttl-max)"),
            new SwitchDefinition("want", "stop as soon as this many other hosts answered (default 0: search up to --ttl-max)"),
            new SwitchDefinition("step", "seconds between queries (default: vnet.discovery.step, 2 s)")),
        CommandDefinition.Of("stats", "discovery counters of this node: datagrams received, answered, refused"),
    ]) { DefaultCommand = "search" };

    /// <summary>One host in the result of a search.</summary>
    public sealed record FoundView(string Host, int Ttl, double ElapsedSeconds, string State, HostInfo Info);

    /// <summary>The whole result of a search (the last JSON block of <c>discover --json</c>).</summary>
    public sealed record SearchView(string Event, string Reason, int LastTtl, double ElapsedSeconds, ImmutableArray<QueryView> Queries, HostInfo? Self, ImmutableArray<FoundView> Hosts);

    /// <summary>A query as sent.</summary>
    public sealed record QueryView(int Ttl, double ElapsedSeconds);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        switch (r.Command)
        {
            case "search": await Search(r, sink, cancel); break;
            case "stats": await ShowStats(r, sink); break;
        }
    }

    private async Task Search(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var ttlMax = r.Int("ttl-max", 1, 255);
        var want = r.Int("want", 0, 10000) ?? 0;
        var step = r.Double("step", 0.05, 60);
        HostInfo? self = null;
        try
        {
            self = await context.Host.Ask<HostInfo>(Hosts.HostActor.GetInfo.Instance, TimeSpan.FromSeconds(10), cancel);
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidCastException)
        {
            // The search runs without this host's own row.
        }

        var events = Channel.CreateUnbounded<object>();
        var listener = context.System.ActorOf(Props.Create(() => new EventForwarder(events.Writer)));
        Guid? id = null;
        var queries = new List<QueryView>();
        try
        {
            var search = new DiscoveryProtocol.Search(ttlMax, want) { Step = step is { } s ? TimeSpan.FromSeconds(s) : null };
            discovery.Tell(search, listener);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            bound.CancelAfter(TimeSpan.FromSeconds(30)); // until the actor says how long the search can last
            await foreach (var e in events.Reader.ReadAllAsync(bound.Token))
            {
                switch (e)
                {
                    case SearchStarted started:
                        id = started.SearchId;
                        bound.CancelAfter(started.Step * started.TtlMax + TimeSpan.FromSeconds(30));
                        await sink.MessageAsync(r, $"searching from {context.NodeName}: TTL 1 to {started.TtlMax}, a query every {started.Step.TotalSeconds:0.##} s" +
                            (started.Want > 0 ? $", until {started.Want} host(s) answer" : ""),
                            new { @event = "started", searchId = started.SearchId, ttlMax = started.TtlMax, want = started.Want, stepSeconds = started.Step.TotalSeconds });
                        if (self is not null && !r.Json) await sink.EmitAsync(new ConsoleLine.Text($"  this host: {Describe(self)}"));
                        break;
                    case QuerySent q:
                        queries.Add(new QueryView(q.Ttl, q.Elapsed.TotalSeconds));
                        await sink.MessageAsync(r, $"[{q.Elapsed.TotalSeconds,6:0.00} s] query sent with TTL {q.Ttl}",
                            new { @event = "query", ttl = q.Ttl, elapsedSeconds = q.Elapsed.TotalSeconds });
                        break;
                    case HostFound { First: true } f:
                        await sink.MessageAsync(r, $"[{f.Host.Elapsed.TotalSeconds,6:0.00} s] {f.Host.Info.Name} answered at TTL {f.Host.Ttl}: {Describe(f.Host.Info)}",
                            new { @event = "found", host = f.Host.Info.Name, ttl = f.Host.Ttl, elapsedSeconds = f.Host.Elapsed.TotalSeconds, state = f.Host.State, info = f.Host.Info });
                        break;
                    case SearchFinished done:
                        await Finish(r, sink, self, queries, done);
                        return;
                    case Status.Failure failure:
                        throw new CommandException(failure.Cause.Message, ExitCodes.Usage);
                }
            }
            throw new CommandException("the discovery actor did not finish the search in time");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new CommandException("search cancelled");
        }
        catch (OperationCanceledException)
        {
            throw new CommandException("the discovery actor did not finish the search in time");
        }
        finally
        {
            if (id is { } searchId) discovery.Tell(new CancelSearch(searchId));
            context.System.Stop(listener);
        }
    }

    private static async Task Finish(CommandRequest r, ICommandSink sink, HostInfo? self, List<QueryView> queries, SearchFinished done)
    {
        var reason = done.Reason switch
        {
            SearchEnd.WantReached => "the wanted number of hosts answered",
            SearchEnd.TtlMaxReached => "the maximum TTL was reached",
            _ => "cancelled",
        };
        var hosts = done.Hosts.Select(h => new FoundView(h.Info.Name, h.Ttl, h.Elapsed.TotalSeconds, h.State.ToString().ToLowerInvariant(), h.Info)).ToImmutableArray();
        if (r.Json)
        {
            await sink.EmitAsync(new ConsoleLine.Data(System.Text.Json.JsonSerializer.SerializeToNode(
                new SearchView("done", done.Reason.ToString(), done.LastTtl, done.Elapsed.TotalSeconds, [.. queries], self, hosts), ConsoleLine.DataOptions)));
            return;
        }
        await sink.EmitAsync(new ConsoleLine.Text($"search ended after {done.Elapsed.TotalSeconds:0.00} s, last TTL {done.LastTtl}: {reason}; {done.Hosts.Length} other host(s) found"));
        var rows = new List<string[]>();
        if (self is not null) rows.AddRange(Rows(self, "this", "-"));
        foreach (var h in done.Hosts) rows.AddRange(Rows(h.Info, h.Ttl.ToString(CultureInfo.InvariantCulture), h.State.ToString().ToLowerInvariant()));
        await sink.EmitAsync(new ConsoleLine.Table(null, ["host", "ttl", "member", "interface", "ipv4", "mac", "gateway", "vms", "load"],
            [.. rows.Select(x => x.ToImmutableArray())]));
    }

    /// <summary>One row per interface; host columns on the first row only.</summary>
    private static IEnumerable<string[]> Rows(HostInfo h, string ttl, string state)
    {
        var vms = h.Vms.IsDefaultOrEmpty ? "-" : string.Join(", ", h.Vms.Select(v => $"{v.Name} ({string.Join(" ", v.Nics.Select(n => n.Mac))})"));
        var interfaces = h.Interfaces.IsDefaultOrEmpty ? [new InterfaceInfo("-", null, 0, null, null, null, 0)] : h.Interfaces;
        var first = true;
        foreach (var i in interfaces)
        {
            yield return first
                ? [h.Name, ttl, state, i.Name, i.IPv4 is null ? "-" : $"{i.IPv4}/{i.PrefixLength}", i.Mac?.ToString() ?? "-", i.Gateway ?? "-", vms, Load(h.Load)]
                : ["", "", "", i.Name, i.IPv4 is null ? "-" : $"{i.IPv4}/{i.PrefixLength}", i.Mac?.ToString() ?? "-", i.Gateway ?? "-", "", ""];
            first = false;
        }
    }

    private static string Load(double load) => load.ToString("G4", CultureInfo.InvariantCulture);

    private static string Describe(HostInfo h) =>
        $"{h.SubstrateAddress}, {h.Interfaces.Length} interface(s), {h.Vms.Length} VM(s){(h.Vms.IsDefaultOrEmpty ? "" : " " + string.Join(",", h.Vms.Select(v => v.Name)))}, load {Load(h.Load)}";

    private async Task ShowStats(CommandRequest r, ICommandSink sink)
    {
        if (await context.AskAsync(discovery, GetStats.Instance, "discovery") is not Stats s) throw new CommandException("unexpected answer from the discovery actor");
        await sink.ResultAsync(r, $"discovery on {context.NodeName}: group {s.Group}:{s.Port}, interfaces {string.Join(", ", s.Interfaces)}",
            ["received", "queries", "answers", "answered", "rate-limited", "unsolicited", "malformed"],
            [[s.Received.ToString(CultureInfo.InvariantCulture), s.Queries.ToString(CultureInfo.InvariantCulture), s.Answers.ToString(CultureInfo.InvariantCulture),
              s.AnswersSent.ToString(CultureInfo.InvariantCulture), s.RateLimited.ToString(CultureInfo.InvariantCulture), s.Unsolicited.ToString(CultureInfo.InvariantCulture),
              s.Malformed.Count == 0 ? "0" : string.Join(" ", s.Malformed.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"))]],
            s);
    }

    private sealed class EventForwarder : ReceiveActor
    {
        public EventForwarder(ChannelWriter<object> writer) => ReceiveAny(m => writer.TryWrite(m));
    }
}
