using VNet.Capture.Inventory;
using System.Collections.Immutable;
using System.Globalization;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>discover</c> palette: <c>vnet discover [--ttl-max N] [--want K]</c>
/// runs the expanding-TTL multicast search from this node and shows each host as it answers, with
/// the TTL at which it was found; at the end, every host with its interfaces, gateways, VMs and
/// load. Answers are not refreshed on a timer: running the search again is the refresh.
/// </summary>
public sealed class DiscoverPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("discover", "resource discovery: expanding-TTL multicast search", [
        CommandDefinition.Of("search", "search for hosts: TTL 1, then TTL+1 every step, until --want hosts answered or --ttl-max",
            new SwitchDefinition("ttl-max", "largest TTL to try, 1-255 (default: vnet.discovery.ttl-max)"),
            new SwitchDefinition("want", "stop as soon as this many other hosts answered (default 0: search up to --ttl-max)"),
            new SwitchDefinition("step", "seconds between queries (default: vnet.discovery.step, 2 s)")),
        CommandDefinition.Of("stats", "discovery counters of this node: datagrams received, answered, refused"),
    ]) { DefaultCommand = "search" };

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "search" => new SearchHosts(r.Int("ttl-max", 1, 255), r.Int("want", 0, 10000) ?? 0, r.Double("step", 0.05, 60)),
        "stats" => GetDiscoveryStats.Instance,
        _ => throw new CommandException($"unknown command 'discover {r.Command}'", ExitCodes.Usage),
    };

    /// <inheritdoc/>
    protected override async Task RenderItemAsync(CommandRequest r, ICommandItem item, int index, ICommandSink sink)
    {
        switch (item)
        {
            case SearchBegan began:
                await sink.EmitAsync(new ConsoleLine.Text($"searching from {began.Node}: TTL 1 to {began.TtlMax}, a query every {began.StepSeconds:0.##} s" +
                    (began.Want > 0 ? $", until {began.Want} host(s) answer" : "")));
                if (began.Self is { } self) await sink.EmitAsync(new ConsoleLine.Text($"  this host: {Describe(self)}"));
                break;
            case QueryWent q:
                await sink.EmitAsync(new ConsoleLine.Text($"[{q.ElapsedSeconds,6:0.00} s] query sent with TTL {q.Ttl}"));
                break;
            case HostAnswered { Host: var f }:
                await sink.EmitAsync(new ConsoleLine.Text($"[{f.ElapsedSeconds,6:0.00} s] {f.Info.Name} answered at TTL {f.Ttl}: {Describe(f.Info)}"));
                break;
        }
    }

    /// <inheritdoc/>
    protected override async Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink)
    {
        switch (reply)
        {
            case SearchDone done:
                var reason = done.Reason switch
                {
                    SearchEnd.WantReached => "the wanted number of hosts answered",
                    SearchEnd.TtlMaxReached => "the maximum TTL was reached",
                    _ => "cancelled",
                };
                await sink.EmitAsync(new ConsoleLine.Text($"search ended after {done.ElapsedSeconds:0.00} s, last TTL {done.LastTtl}: {reason}; {done.Hosts.Length} other host(s) found"));
                var rows = new List<ImmutableArray<string>>();
                if (done.Self is { } self) rows.AddRange(Rows(self, "this", "-"));
                foreach (var h in done.Hosts) rows.AddRange(Rows(h.Info, h.Ttl.ToString(CultureInfo.InvariantCulture), h.State.ToString().ToLowerInvariant()));
                await sink.EmitAsync(new ConsoleLine.Table(null, ["host", "ttl", "member", "interface", "ipv4", "mac", "gateway", "vms", "load"], [.. rows]));
                break;
            case DiscoveryCounters s:
                await sink.EmitAsync(new ConsoleLine.Table($"discovery on {s.Node}: group {s.Group}:{s.Port}, interfaces {string.Join(", ", s.Interfaces)}",
                    ["received", "queries", "answers", "answered", "rate-limited", "unsolicited", "malformed"],
                    [[s.Received.ToString(CultureInfo.InvariantCulture), s.Queries.ToString(CultureInfo.InvariantCulture), s.Answers.ToString(CultureInfo.InvariantCulture),
                      s.AnswersSent.ToString(CultureInfo.InvariantCulture), s.RateLimited.ToString(CultureInfo.InvariantCulture), s.Unsolicited.ToString(CultureInfo.InvariantCulture),
                      s.Malformed.Count == 0 ? "0" : string.Join(" ", s.Malformed.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"))]]));
                break;
        }
    }

    /// <summary>One row per interface; host columns on the first row only.</summary>
    private static IEnumerable<ImmutableArray<string>> Rows(HostInfo h, string ttl, string state)
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

    private static string Load(double load) => LoadMetric.Format(load);

    private static string Describe(HostInfo h) =>
        $"{h.SubstrateAddress}, {h.Interfaces.Length} interface(s), {h.Vms.Length} VM(s){(h.Vms.IsDefaultOrEmpty ? "" : " " + string.Join(",", h.Vms.Select(v => v.Name)))}, load {Load(h.Load)}";
}
