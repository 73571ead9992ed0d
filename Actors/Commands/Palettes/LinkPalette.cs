using System.Collections.Immutable;
using System.Globalization;
using VNet.Capture.Frames;
using VNet.Capture.Taps;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>link</c> palette: create, inspect, change and delete virtual links.</summary>
public sealed class LinkPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
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
    public override PaletteDefinition Definition { get; } = new("link", "virtual links between VMs", [
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
        CommandDefinition.Of("capture", "a link's frames, both directions, as pcap (to a file or standard output) or one decoded line per frame",
            new SwitchDefinition("id", "link id", Required: true),
            new SwitchDefinition("file", "the pcap file to write on the client; - streams it to standard output (| tcpdump -r -, | wireshark -k -i -)") { OutputFile = true },
            new SwitchDefinition("summary", "print one decoded line per frame (time, end, MACs, VLAN, ARP, IP, ICMP, TCP, UDP), like tcpdump", IsFlag: true),
            new SwitchDefinition("seconds", "how long to capture (default: until Ctrl-C)"),
            new SwitchDefinition("filter", "a BPF filter, e.g. \"icmp or arp\""),
            new SwitchDefinition("end", "where to capture: a host of the link, or both (every end, frames interleaved as they arrive)"),
            new SwitchDefinition("host", "capture on this endpoint's host (default: the first end); the same as --end HOST"),
            new SwitchDefinition("max-bytes", "stop each end at this much pcap, e.g. 64M (default: no limit)")),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "create" => ParseCreate(r),
        "show" => new GetLinks(r.Optional("id")),
        "stats" => new GetLinkStats(r.Optional("id")),
        "set" => ParseSet(r),
        "delete" => new DeleteLink(r.Required("id")),
        "capture" => ParseCapture(r),
        _ => throw new CommandException($"unknown command 'link {r.Command}'", ExitCodes.Usage),
    };

    private static CreateLink ParseCreate(CommandRequest r)
    {
        var kindText = r.Optional("kind") ?? "raw-p2p";
        if (!LinkKinds.TryParse(kindText, out var kind)) throw new CommandException($"--kind '{kindText}' is not a link kind ({LinkKinds.AllNames})", ExitCodes.Usage);
        var vms = r.Required("vms").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableArray();
        var options = ParseOptions(r, LinkOptions.Default with { Authenticate = ParseAuth(r) });
        if (kind.IsKernel() && r.Optional("auth") is { } auth && OnOff("auth", auth))
            throw new CommandException($"--auth on is not possible on a {kind.Name()} link: VXLAN frames carry no tag VNet could check (docs/link-kinds.md); leave --auth out", ExitCodes.Usage);
        if (r.Optional("filter-src") is { } fs) options = options with { FilterSource = OnOff("filter-src", fs) };
        if (kind.OptionProblems(options).ToList() is { Count: > 0 } refused) throw new CommandException(string.Join("; ", refused), ExitCodes.Usage);
        return new CreateLink(r.Required("id"), kind, vms, options);
    }

    private static SetLinkOptions ParseSet(CommandRequest r)
    {
        var changes = ParseChanges(r);
        if (changes.IsEmpty) throw new CommandException($"link set: name at least one option to change ({string.Join(", ", OptionSwitches.Select(s => "--" + s.Name))})", ExitCodes.Usage);
        return new SetLinkOptions(r.Required("id"), changes);
    }

    private static CaptureLink ParseCapture(CommandRequest r)
    {
        long? maxBytes = null;
        if (r.Optional("max-bytes") is { } mb)
            maxBytes = Units.TryParseBytes(mb, out var limit) && limit > 0 ? limit : throw new CommandException($"link capture: --max-bytes '{mb}' is not a size such as 64M", ExitCodes.Usage);
        var file = r.Optional("file");
        var summary = r.Optional("summary") is { } sm && OnOff("summary", sm);
        if (file is null && !summary) throw new CommandException("link capture: name --file PATH (- for standard output) or --summary", ExitCodes.Usage);
        if (file == "-" && summary) throw new CommandException("link capture: --summary and --file - both write to standard output; pick one", ExitCodes.Usage);
        var end = r.Optional("end");
        var host = r.Optional("host");
        if (end is not null && host is not null && end != host) throw new CommandException($"link capture: --end {end} and --host {host} name different ends; give one", ExitCodes.Usage);
        var all = end is "both" or "all";
        return new CaptureLink(r.Required("id"), all ? null : end ?? host, all, r.Double("seconds", 0.1, CaptureLink.MaxSeconds), r.Optional("filter"), maxBytes);
    }

    private static bool OnOff(string name, string value) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "" => true,
        "off" or "false" or "no" => false,
        _ => throw new CommandException($"--{name} '{value}' must be on or off", ExitCodes.Usage),
    };

    /// <summary>The <c>--auth</c> switch of <c>link create</c>: on (default) or off.</summary>
    public static bool ParseAuth(CommandRequest r) => r.Optional("auth") is not { } a || OnOff("auth", a);

    /// <summary>The option switches named on the command line (and only those); errors name the switch.</summary>
    public static LinkOptionChanges ParseChanges(CommandRequest r)
    {
        var c = LinkOptionChanges.None;
        if (r.Optional("compression") is { } comp)
            c = c with { Compression = comp.ToLowerInvariant() switch { "none" or "off" => Compression.None, "lz4" or "on" => Compression.Lz4, _ => throw new CommandException($"--compression '{comp}' must be none or lz4", ExitCodes.Usage) } };
        if (r.Int("dscp", 0, 63) is { } dscp) c = c with { Dscp = dscp };
        if (r.Optional("bandwidth") is { } bw)
            c = c with { BandwidthBitsPerSecond = Units.TryParseBitRate(bw, out var bits) && bits <= LinkOptions.MaxBandwidth ? bits : throw new CommandException($"--bandwidth '{bw}' is not a rate such as 100M or 1.5G (at most 100G)", ExitCodes.Usage) };
        if (r.Optional("burst") is { } burst)
            c = c with { BurstBytes = Units.TryParseBytes(burst, out var bytes) && bytes <= 64 << 20 ? (int)bytes : throw new CommandException($"--burst '{burst}' is not a size such as 64K (at most 64M)", ExitCodes.Usage) };
        if (r.Double("delay", 0, LinkOptions.MaxDelayMs) is { } delay) c = c with { DelayMs = delay };
        if (r.Double("jitter", 0, LinkOptions.MaxDelayMs) is { } jitter) c = c with { JitterMs = jitter };
        if (r.Double("loss", 0, 100) is { } loss) c = c with { LossPercent = loss };
        if (r.Optional("encrypt") is { } enc) c = c with { Encrypt = OnOff("encrypt", enc) };
        return c;
    }

    /// <summary>The option switches over <paramref name="current"/>, checked together; errors name the switch.</summary>
    public static LinkOptions ParseOptions(CommandRequest r, LinkOptions current)
    {
        var o = ParseChanges(r).ApplyTo(current);
        var problems = o.Problems().ToList();
        if (problems.Count > 0) throw new CommandException(string.Join("; ", problems), ExitCodes.Usage);
        return o;
    }

    /// <inheritdoc/>
    protected override bool IsRecord(ICommandItem item) => item is not CaptureData;

    /// <inheritdoc/>
    protected override async Task RenderItemAsync(CommandRequest r, ICommandItem item, int index, ICommandSink sink)
    {
        if (item is not CaptureData data) return;
        // The first chunk starts the file; the client writes it only to the path its user gave.
        if (r.Optional("file") is { } file) await sink.EmitAsync(new ConsoleLine.File(file, Convert.ToBase64String(data.Data)) { Append = index > 0 });
        if (r.Optional("summary") is { } sm && OnOff("summary", sm))
            foreach (var record in PcapRecords.Read(data.Data, withFileHeader: index == 0))
                await sink.EmitAsync(new ConsoleLine.Text(SummaryLine(data.Host, record)));
    }

    /// <summary>One frame as <c>link capture --summary</c> prints it: UTC time, the end it was captured at, the decoded frame.</summary>
    public static string SummaryLine(string host, PcapRecord record) =>
        $"{record.Time.UtcDateTime.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture)} {host} {FrameSummary.Describe(record.Frame)}";

    /// <inheritdoc/>
    protected override async Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink)
    {
        switch (reply)
        {
            case LinkCreated created:
                var l = created.Link.Link;
                await sink.EmitAsync(new ConsoleLine.Text($"link {l.Id} created: {l.Kind.Name()} {string.Join(" <-> ", l.Endpoints.Select(e => $"{e.Vm}@{e.Host}"))}, {(l.Kind.IsKernel() ? $"VNI {l.Vni}" : $"protocol number {l.Protocol}")}, {Phase(created.Link.Phase)}"));
                break;
            case LinkList list:
                await sink.EmitAsync(new ConsoleLine.Table($"{list.Links.Length} link(s)", ["id", "kind", "ends", "protocol", "phase", "vm-mtu", "options", "detail"],
                    [.. list.Links.Select(s => ImmutableArray.Create(s.Link.Id, s.Link.Kind.Name(), string.Join(" <-> ", s.Link.Endpoints.Select(e => $"{e.Vm}@{e.Host}")),
                        s.Link.Kind.IsKernel() ? $"vni {s.Link.Vni}" : s.Link.Protocol.ToString(CultureInfo.InvariantCulture), Phase(s.Phase), s.VmMtu?.ToString(CultureInfo.InvariantCulture) ?? "-", Describe(s.Link.Options), s.Detail ?? ""))]));
                break;
            case LinkStats stats:
                await sink.EmitAsync(new ConsoleLine.Table(null, ["link", "host", "direction", "frames", "bytes", "ratio", "drops"],
                    [.. stats.Directions.Select(v => ImmutableArray.Create(
                        v.Link, v.Host, v.Direction, v.Counters.Frames.ToString(CultureInfo.InvariantCulture), v.Counters.Bytes.ToString(CultureInfo.InvariantCulture),
                        v.Counters.CompressionRatio.ToString("0.000", CultureInfo.InvariantCulture),
                        v.Counters.Drops.Count == 0 ? "0" : string.Join(' ', v.Counters.Drops.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}"))))]));
                break;
            case LinkOptionsSet set:
                await sink.EmitAsync(new ConsoleLine.Text($"link {set.Link.Link.Id}: {Describe(set.Link.Link.Options)}"));
                break;
            case LinkDeleted deleted:
                await sink.EmitAsync(new ConsoleLine.Text($"link {deleted.Id} deleted"));
                break;
            case LinkCaptured captured:
                await sink.EmitAsync(new ConsoleLine.Text(FormattableString.Invariant($"captured {captured.Frames} frame(s) of link {captured.Id} on {string.Join(" and ", captured.Hosts)} in {captured.Seconds:0.#} s") +
                    (r.Optional("file") is { } to ? $" to {(to == "-" ? "standard output" : to)}" : "") +
                    (captured.Truncated ? " (stopped at the size limit)" : "")));
                break;
        }
    }

    /// <summary>A phase as the console writes it (<c>waiting-for-host</c>).</summary>
    public static string Phase(LinkPhase phase) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(phase.ToString());

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
}
