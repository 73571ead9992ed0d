using System.Text;
using VNet.Actors.Networks;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>net</c> palette: the running virtual network as a network file — show it, save it, and
/// load one onto whatever substrate the cluster has now. The topology manager checks a load
/// against the cluster and applies nothing when anything is wrong; a link that then fails to come
/// up takes back the ones this load created.
/// </summary>
public sealed class NetPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("net", "the virtual network as a file", [
        CommandDefinition.Of("show", "the running network in the network-file format"),
        CommandDefinition.Of("save", "write the running network to a file", new SwitchDefinition("file", "the network file to write (on the client)", Required: true) { OutputFile = true }),
        CommandDefinition.Of("load", "check a network file against the cluster and create its links",
            new SwitchDefinition("file", "the network file to read (on the client)", Required: true) { InputFile = true },
            new SwitchDefinition("dry-run", "only check; create nothing", IsFlag: true)),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "show" or "save" => GetNetwork.Instance,
        "load" => ParseLoad(r),
        _ => throw new CommandException($"unknown command 'net {r.Command}'", ExitCodes.Usage),
    };

    private static LoadNetwork ParseLoad(CommandRequest r)
    {
        var path = r.Required("file");
        var encoded = r.Args.GetValueOrDefault("@file") ?? throw new CommandException($"--file {path}: the client sent no content", ExitCodes.Usage);
        try
        {
            // The request line is bounded (ConsoleLine.MaxLineChars), so decoding is too.
            return new LoadNetwork(path, Convert.FromBase64String(encoded), r.Flag("dry-run"));
        }
        catch (FormatException)
        {
            throw new CommandException($"--file {path}: the client sent content that is not base64", ExitCodes.Usage);
        }
    }

    /// <inheritdoc/>
    protected override string Refusal(IRejection rejection) => rejection is NetworkRejected n
        ? $"{n.Path}: {n.FileProblems.Length} problem(s), nothing was applied:{Environment.NewLine}{string.Join(Environment.NewLine, n.Problems)}"
        : base.Refusal(rejection);

    // `net save` writes the file whether or not --json was asked; --json adds the record.
    /// <inheritdoc/>
    protected override async Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink)
    {
        switch (reply)
        {
            case RunningNetwork running when r.Command == "save":
                var path = r.Required("file");
                await sink.EmitAsync(new ConsoleLine.File(path, Convert.ToBase64String(Encoding.UTF8.GetBytes(NetworkFile.Write(running.Network)))));
                if (r.Json) await RecordAsync(sink, running);
                else await sink.EmitAsync(new ConsoleLine.Text($"saved {running.Network.Vms.Length} VM(s) and {running.Network.Links.Length} link(s) to {path}"));
                break;
            case RunningNetwork running:
                foreach (var line in NetworkFile.Write(running.Network).TrimEnd().Split('\n')) await sink.EmitAsync(new ConsoleLine.Text(line));
                break;
            case NetworkLoaded { DryRun: true } dry:
                await sink.EmitAsync(new ConsoleLine.Text($"{dry.Path}: {dry.Checked} link(s) — fits this cluster (dry run, nothing created)"));
                break;
            case NetworkLoaded loaded:
                foreach (var l in loaded.Links) await sink.EmitAsync(new ConsoleLine.Text($"link {l.Link.Id} created ({l.Link.Kind.Name()}, protocol {l.Link.Protocol})"));
                await sink.EmitAsync(new ConsoleLine.Text($"loaded {loaded.Path}: {loaded.Links.Length} link(s)"));
                break;
        }
    }

    /// <inheritdoc/>
    protected override bool PrintsRecord(CommandRequest r) => r.Json && r.Command != "save";
}
