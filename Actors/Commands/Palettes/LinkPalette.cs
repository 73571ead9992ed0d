using System.Collections.Immutable;
using System.Globalization;
using VNet.Messages;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>link</c> palette: create, inspect, change and delete virtual links.</summary>
public sealed class LinkPalette(CommandContext context) : IPalette
{
    private static readonly SwitchDefinition[] OptionSwitches =
    [
        new("compression", "per-frame compression: none | lz4"),
        new("dscp", "DSCP 0-63 written on every capsule"),
        new("bandwidth", "shaped rate, e.g. 100M, 1.5G; 0 = unlimited"),
        new("burst", "token-bucket depth in bytes, e.g. 64K (default: 10 ms at the rate)"),
        new("delay", "added one-way delay in ms"),
        new("jitter", "uniform jitter in ms (at most the delay)"),
        new("loss", "loss in percent, 0-100"),
        new("encrypt", "encrypt every frame, not only authenticate it (--encrypt=false turns it off)", IsFlag: true),
    ];

    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("link", "virtual links between VMs", [
        CommandDefinition.Of("create", "create a link between VMs on different hosts",
            [new("id", "link id (letters, digits, - _ .)", Required: true),
             new("vms", "the VMs joined, comma-separated (two for p2p kinds, two or more for multipoint)", Required: true),
             new("kind", "raw-p2p | udp-p2p | raw-multipoint | udp-multipoint", Default: "raw-p2p"),
             new("filter-src", "on: carry only frames from the VM NIC's own MAC (an interface shared with other traffic); default off: every source MAC crosses"),
             new("auth", "on (default): every capsule carries an AES-GCM tag and is checked; off: only for a trusted substrate or for measuring: capsules then carry no tag and are not checked (set at creation; not with --encrypt)"),
             .. OptionSwitches]),
        CommandDefinition.Of("show", "links with their kind, ends, protocol number, status and VM MTU", new SwitchDefinition("id", "only this link")),
        CommandDefinition.Of("stats", "per-direction counters of each link on each host", new SwitchDefinition("id", "only this link")),
        CommandDefinition.Of("set", "change options of a running link without dropping it", [new("id", "link id", Required: true), .. OptionSwitches]),
        CommandDefinition.Of("delete", "delete a link on every host", new SwitchDefinition("id", "link id", Required: true)),
        CommandDefinition.Of("capture", "write a link's frames, both directions, to a pcap file",
            new SwitchDefinition("id", "link id", Required: true),
            new SwitchDefinition("file", "the pcap file to write (on the client)", Required: true) { OutputFile = true },
            new SwitchDefinition("seconds", "how long to capture (default 10)"),
            new SwitchDefinition("filter", "a BPF filter, e.g. \"icmp or arp\""),
            new SwitchDefinition("host", "capture on this endpoint's host (default: the first)"),
            new SwitchDefinition("max-bytes", "stop at this file size (default 64M)")),
    ]);

    /// <summary>One link as `link show` reports it.</summary>
    public sealed record LinkView(string Id, string Kind, ImmutableArray<string> Ends, int Protocol, string Status, int? VmMtu, string? Detail, LinkOptions Options);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        switch (r.Command)
        {
            case "create": await Create(r, sink); break;
            case "show": await Show(r, sink); break;
            case "stats": await Stats(r, sink); break;
            case "set": await Set(r, sink); break;
            case "delete": await Delete(r, sink); break;
            case "capture": await Capture(r, sink, cancel); break;
        }
    }

    private async Task Create(CommandRequest r, ICommandSink sink)
    {
        var kindText = r.Optional("kind") ?? "raw-p2p";
        if (!LinkKinds.TryParse(kindText, out var kind)) throw new CommandException($"--kind '{kindText}' is not a link kind (raw-p2p, udp-p2p, raw-multipoint, udp-multipoint)", ExitCodes.Usage);
        var vms = r.Required("vms").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableArray();
        var options = ParseOptions(r, LinkOptions.Default with { Authenticate = ParseAuth(r) });
        if (r.Optional("filter-src") is { } fs)
            options = options with
            {
                FilterSource = fs.ToLowerInvariant() switch
                {
                    "on" or "true" or "yes" or "" => true,
                    "off" or "false" or "no" => false,
                    _ => throw new CommandException($"--filter-src '{fs}' must be on or off", ExitCodes.Usage),
                },
            };
        var reply = await context.AskAsync(context.Topology, new TopologyProtocol.CreateLink(r.Required("id"), kind, vms, options), "link create", TimeSpan.FromSeconds(40));
        switch (reply)
        {
            case LinkProtocol.Created created:
                await sink.MessageAsync(r, $"link {created.Link.Id} created: {created.Link.Kind.Name()} {string.Join(" <-> ", created.Link.Endpoints.Select(e => $"{e.Vm}@{e.Host}"))}, protocol number {created.Link.Protocol}",
                    View(created.Link, LinkStatus.Established, null, null));
                break;
            case TopologyProtocol.Failed failed:
                throw new CommandException(failed.Reason);
            default:
                throw new CommandException($"unexpected answer: {reply}");
        }
    }

    /// <summary>The <c>--auth</c> switch of <c>link create</c>: on (default) or off.</summary>
    public static bool ParseAuth(CommandRequest r) => r.Optional("auth") is not { } a
        ? true
        : a.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" or "" => true,
            "off" or "false" or "no" => false,
            _ => throw new CommandException($"--auth '{a}' must be on or off", ExitCodes.Usage),
        };

    /// <summary>Reads the option switches over <paramref name="current"/>; errors name the switch.</summary>
    public static LinkOptions ParseOptions(CommandRequest r, LinkOptions current)
    {
        var o = current;
        if (r.Optional("compression") is { } c)
            o = o with { Compression = c.ToLowerInvariant() switch { "none" or "off" => Compression.None, "lz4" or "on" => Compression.Lz4, _ => throw new CommandException($"--compression '{c}' must be none or lz4", ExitCodes.Usage) } };
        if (r.Int("dscp", 0, 63) is { } dscp) o = o with { Dscp = dscp };
        if (r.Optional("bandwidth") is { } bw)
            o = o with { BandwidthBitsPerSecond = Units.TryParseBitRate(bw, out var bits) && bits <= LinkOptions.MaxBandwidth ? bits : throw new CommandException($"--bandwidth '{bw}' is not a rate such as 100M or 1.5G (at most 100G)", ExitCodes.Usage) };
        if (r.Optional("burst") is { } burst)
            o = o with { BurstBytes = Units.TryParseBytes(burst, out var bytes) && bytes <= 64 << 20 ? (int)bytes : throw new CommandException($"--burst '{burst}' is not a size such as 64K (at most 64M)", ExitCodes.Usage) };
        if (r.Double("delay", 0, LinkOptions.MaxDelayMs) is { } delay) o = o with { DelayMs = delay };
        if (r.Double("jitter", 0, LinkOptions.MaxDelayMs) is { } jitter) o = o with { JitterMs = jitter };
        if (r.Double("loss", 0, 100) is { } loss) o = o with { LossPercent = loss };
        if (r.Optional("encrypt") is { } enc)
            o = o with { Encrypt = enc.ToLowerInvariant() switch { "" or "on" or "true" or "yes" => true, "off" or "false" or "no" => false, _ => throw new CommandException($"--encrypt '{enc}' must be on or off", ExitCodes.Usage) } };
        var problems = o.Problems().ToList();
        if (problems.Count > 0) throw new CommandException(string.Join("; ", problems), ExitCodes.Usage);
        return o;
    }

    private static LinkView View(LinkSpec l, LinkStatus status, int? mtu, string? detail) =>
        new(l.Id, l.Kind.Name(), [.. l.Endpoints.Select(e => $"{e.Vm}@{e.Host}")], l.Protocol, status.ToString().ToLowerInvariant(), mtu, detail, l.Options);

    private async Task<ImmutableArray<TopologyProtocol.LinkEntry>> SelectedLinks(CommandRequest r)
    {
        var links = await context.LinksAsync();
        if (r.Optional("id") is { } id)
        {
            links = [.. links.Where(l => l.Link.Id == id)];
            if (links.IsEmpty) throw new CommandException($"no link '{id}' (see `vnet link show`)");
        }
        return links;
    }

    private async Task Show(CommandRequest r, ICommandSink sink)
    {
        var links = await SelectedLinks(r);
        var tables = await context.HostTablesAsync(await context.HostsAsync());
        var views = links.Select(l =>
        {
            // Ends still starting report 0: the MTU is known once every end has started.
            var rows = tables.SelectMany(t => t.Rows).Where(row => row.Link.Id == l.Link.Id).ToList();
            int? mtu = rows.Count == l.Link.Endpoints.Select(e => e.Host).Distinct().Count() && rows.All(x => x.VmMtu > 0) ? rows.Min(x => x.VmMtu) : null;
            return View(l.Link, l.Status, mtu, l.Detail);
        }).ToList();
        await sink.ResultAsync(r, $"{views.Count} link(s)", ["id", "kind", "ends", "protocol", "status", "vm-mtu", "options", "detail"],
            views.Select(v => new[] { v.Id, v.Kind, string.Join(" <-> ", v.Ends), v.Protocol.ToString(CultureInfo.InvariantCulture), v.Status, v.VmMtu?.ToString(CultureInfo.InvariantCulture) ?? "-", Describe(v.Options), v.Detail ?? "" }),
            views);
    }

    /// <summary>Options in one short line: "lz4 dscp=46 100M delay=5ms".</summary>
    public static string Describe(LinkOptions o)
    {
        var parts = new List<string>();
        if (o.Compression != Compression.None) parts.Add("lz4");
        if (o.Dscp != 0) parts.Add($"dscp={o.Dscp}");
        if (o.BandwidthBitsPerSecond != 0) parts.Add($"bw={Units.FormatBitRate(o.BandwidthBitsPerSecond)}");
        if (o.DelayMs != 0) parts.Add(FormattableString.Invariant($"delay={o.DelayMs}ms"));
        if (o.JitterMs != 0) parts.Add(FormattableString.Invariant($"jitter={o.JitterMs}ms"));
        if (o.LossPercent != 0) parts.Add(FormattableString.Invariant($"loss={o.LossPercent}%"));
        if (o.Encrypt) parts.Add("encrypt");
        if (!o.Authenticate) parts.Add("auth=off");
        if (o.FilterSource) parts.Add("filter-src");
        return parts.Count == 0 ? "-" : string.Join(' ', parts);
    }

    /// <summary>One direction of one link on one host, as `link stats` reports it.</summary>
    public sealed record StatsView(string Link, string Host, string Direction, long Frames, long Bytes, long WireBytes, double CompressionRatio, long Compressed, long Fragmented, ImmutableDictionary<string, long> Drops);

    private async Task Stats(CommandRequest r, ICommandSink sink)
    {
        var links = (await SelectedLinks(r)).Select(l => l.Link.Id).ToHashSet();
        var tables = await context.HostTablesAsync(await context.HostsAsync());
        var views = tables.SelectMany(t => t.Rows.Where(row => links.Contains(row.Link.Id)).SelectMany(row => new[]
        {
            Stat(row.Link.Id, t.Host, "vm->net", row.ToSubstrate),
            Stat(row.Link.Id, t.Host, "net->vm", row.ToVm),
        })).OrderBy(v => v.Link, StringComparer.Ordinal).ThenBy(v => v.Host, StringComparer.Ordinal).ToList();
        await sink.ResultAsync(r, null, ["link", "host", "direction", "frames", "bytes", "ratio", "drops"],
            views.Select(v => new[]
            {
                v.Link, v.Host, v.Direction, v.Frames.ToString(CultureInfo.InvariantCulture), v.Bytes.ToString(CultureInfo.InvariantCulture),
                v.CompressionRatio.ToString("0.000", CultureInfo.InvariantCulture),
                v.Drops.Count == 0 ? "0" : string.Join(' ', v.Drops.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}")),
            }), views);
    }

    private static StatsView Stat(string link, string host, string direction, DirectionCounters c) =>
        new(link, host, direction, c.Frames, c.Bytes, c.WireBytes, c.CompressionRatio, c.CompressedFrames, c.FragmentedFrames, c.Drops);

    private async Task Set(CommandRequest r, ICommandSink sink)
    {
        var id = r.Required("id");
        var link = (await SelectedLinks(r)).Single();
        var options = ParseOptions(r, link.Link.Options);
        var reply = await context.AskAsync(context.Topology, new TopologyProtocol.SetLinkOptions(id, options), "link set");
        if (reply is TopologyProtocol.Failed failed) throw new CommandException(failed.Reason);
        await sink.MessageAsync(r, $"link {id}: {Describe(options)}", View(link.Link with { Options = options }, link.Status, null, null));
    }

    private async Task Capture(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var link = (await SelectedLinks(r)).Single().Link;
        var hostName = r.Optional("host") ?? link.Endpoints[0].Host;
        if (link.EndpointOn(hostName) is null) throw new CommandException($"link {link.Id} has no end on host '{hostName}' (ends: {string.Join(", ", link.Endpoints.Select(e => e.Host))})", ExitCodes.Usage);
        var host = (await context.HostsAsync()).FirstOrDefault(h => h.Info.Name == hostName && h.Up) ?? throw new CommandException($"host {hostName} is not up");
        var seconds = r.Double("seconds", 0.1, 3600) ?? 10;
        long maxBytes = 64 << 20;
        if (r.Optional("max-bytes") is { } mb && !Units.TryParseBytes(mb, out maxBytes)) throw new CommandException($"--max-bytes '{mb}' is not a size such as 64M", ExitCodes.Usage);
        var path = r.Required("file");
        var channel = System.Threading.Channels.Channel.CreateUnbounded<object>();
        var collector = context.System.ActorOf(Akka.Actor.Props.Create(() => new CaptureCollector(channel.Writer)));
        try
        {
            context.HostActor(host.Info).Tell(new LinkProtocol.StartCapture(link.Id, seconds, r.Optional("filter"), maxBytes), collector);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds + 15));
            var first = true;
            await foreach (var item in channel.Reader.ReadAllAsync(timeout.Token))
            {
                switch (item)
                {
                    case LinkProtocol.CaptureChunk chunk:
                        await sink.EmitAsync(new ConsoleLine.File(path, Convert.ToBase64String(chunk.Data)) { Append = !first });
                        first = false;
                        break;
                    case LinkProtocol.CaptureEnded ended when ended.Error is not null:
                        throw new CommandException($"capture of link {link.Id} on {hostName} failed: {ended.Error}");
                    case LinkProtocol.CaptureEnded ended:
                        await sink.MessageAsync(r, $"captured {ended.Frames} frame(s) of link {link.Id} on {hostName} in {seconds:0.#} s to {path}{(ended.Truncated ? $" (stopped at {Units.FormatBytes(maxBytes)})" : "")}",
                            new { link = link.Id, host = hostName, file = path, frames = ended.Frames, bytes = ended.Bytes, truncated = ended.Truncated });
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new CommandException($"capture of link {link.Id} on {hostName}: no answer from the host");
        }
        finally
        {
            context.System.Stop(collector);
        }
    }

    private sealed class CaptureCollector : Akka.Actor.ReceiveActor
    {
        public CaptureCollector(System.Threading.Channels.ChannelWriter<object> writer)
        {
            Receive<LinkProtocol.CaptureChunk>(c => writer.TryWrite(c));
            Receive<LinkProtocol.CaptureEnded>(e => writer.TryWrite(e));
        }
    }

    private async Task Delete(CommandRequest r, ICommandSink sink)
    {
        var id = r.Required("id");
        var reply = await context.AskAsync(context.Topology, new TopologyProtocol.DeleteLink(id), "link delete");
        if (reply is TopologyProtocol.Failed failed) throw new CommandException(failed.Reason);
        await sink.MessageAsync(r, $"link {id} deleted", new { deleted = id });
    }
}
