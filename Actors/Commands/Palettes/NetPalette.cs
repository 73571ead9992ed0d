using System.Collections.Immutable;
using System.Text;
using VNet.Actors.Networks;
using VNet.Messages;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>net</c> palette: the running virtual network as a network file — show it,
/// save it, and load one onto whatever substrate the cluster has now. Loading checks everything
/// first and applies nothing when anything is wrong; a link that then fails to come up takes back
/// the ones this load created.
/// </summary>
public sealed class NetPalette(CommandContext context) : IPalette
{
    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("net", "the virtual network as a file", [
        CommandDefinition.Of("show", "the running network in the network-file format"),
        CommandDefinition.Of("save", "write the running network to a file", new SwitchDefinition("file", "the network file to write (on the client)", Required: true) { OutputFile = true }),
        CommandDefinition.Of("load", "check a network file against the cluster and create its links",
            new SwitchDefinition("file", "the network file to read (on the client)", Required: true) { InputFile = true },
            new SwitchDefinition("dry-run", "only check; create nothing", IsFlag: true)),
    ]);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        switch (r.Command)
        {
            case "show":
            {
                var network = await Running();
                if (r.Json) await sink.MessageAsync(r, "", network);
                else foreach (var line in NetworkFile.Write(network).TrimEnd().Split('\n')) await sink.EmitAsync(new ConsoleLine.Text(line));
                break;
            }
            case "save":
            {
                var network = await Running();
                var path = r.Required("file");
                await sink.EmitAsync(new ConsoleLine.File(path, Convert.ToBase64String(Encoding.UTF8.GetBytes(NetworkFile.Write(network)))));
                await sink.MessageAsync(r, $"saved {network.Vms.Length} VM(s) and {network.Links.Length} link(s) to {path}", new { file = path, vms = network.Vms.Length, links = network.Links.Length });
                break;
            }
            case "load":
                await Load(r, sink, cancel);
                break;
        }
    }

    /// <summary>The running network: the links the topology manager holds and the VMs they join.</summary>
    public async Task<NetworkDefinition> Running()
    {
        var links = await context.LinksAsync();
        var vms = links.SelectMany(l => l.Link.Endpoints).GroupBy(e => e.Vm).Select(g => new NetworkVm(g.Key, g.First().Mac, g.First().Host));
        return new NetworkDefinition("running", [.. vms.OrderBy(v => v.Name, StringComparer.Ordinal)],
            [.. links.Select(l => new NetworkLink(l.Link.Id, l.Link.Kind, [.. l.Link.Endpoints.Select(e => e.Vm)], l.Link.Options, l.Link.Protocol))]);
    }

    private async Task Load(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var path = r.Required("file");
        var encoded = r.Args.GetValueOrDefault("@file") ?? throw new CommandException($"--file {path}: the client sent no content", ExitCodes.Usage);
        // The parse runs here, on the node the console is connected to and off every actor's thread,
        // bounded by the file limits; the topology manager only ever sees the checked network.
        var network = await Task.Run(() => ParseContent(path, encoded), cancel);
        var problems = await CheckAgainstCluster(network, path);
        if (problems.Count > 0)
            throw new CommandException($"{path} does not fit this cluster ({problems.Count} problem(s)), nothing was applied:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        if (r.Flag("dry-run"))
        {
            await sink.MessageAsync(r, $"{path}: {network.Vms.Length} VM(s), {network.Links.Length} link(s) — fits this cluster (dry run, nothing created)", new { file = path, ok = true, links = network.Links.Length });
            return;
        }
        var created = new List<string>();
        foreach (var link in network.Links)
        {
            var reply = await context.AskAsync(context.Topology, new TopologyProtocol.CreateLink(link.Id, link.Kind, link.Vms, link.Options) { PreferredProtocol = link.Protocol }, $"link {link.Id}", TimeSpan.FromSeconds(40));
            if (reply is TopologyProtocol.Failed failed)
            {
                foreach (var id in created) await context.AskAsync(context.Topology, new TopologyProtocol.DeleteLink(id), $"undo link {id}");
                throw new CommandException($"{path}:{link.Line}: link {link.Id} could not be created: {failed.Reason}; the {created.Count} link(s) this load had created were deleted again");
            }
            created.Add(link.Id);
            if (reply is LinkProtocol.Created c)
                await sink.MessageAsync(r, $"link {link.Id} created ({c.Link.Kind.Name()}, protocol {c.Link.Protocol})", new { id = link.Id, protocol = c.Link.Protocol });
        }
        await sink.MessageAsync(r, $"loaded {path}: {created.Count} link(s)", new { file = path, links = created });
    }

    /// <summary>
    /// The network of a <c>net load</c> request: the file's bytes as the client sent them (base64),
    /// checked against <see cref="XmlFileLimits.Default"/> — size first, before any parsing — then parsed.
    /// </summary>
    public static NetworkDefinition ParseContent(string path, string base64)
    {
        static CommandException Refused(string path, IReadOnlyList<FileProblem> problems) =>
            new($"{path} has {problems.Count} problem(s), nothing was applied:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        var limits = XmlFileLimits.Default;
        // The request line is bounded (ConsoleLine.MaxLineChars), so decoding is too; the size check
        // then names where the file crosses its limit.
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new CommandException($"--file {path}: the client sent content that is not base64", ExitCodes.Usage);
        }
        using var stream = new MemoryStream(bytes, writable: false);
        if (BoundedXml.SizeProblem(stream, path, limits, out _) is { } tooLarge) throw Refused(path, [tooLarge]);
        // As File.ReadAllText would: UTF-8 unless a byte-order mark says otherwise.
        var text = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true).ReadToEnd();
        try
        {
            return NetworkFile.Parse(text, path, limits);
        }
        catch (NetworkFileException e)
        {
            throw Refused(path, e.Problems);
        }
    }

    /// <summary>What the file asks that the cluster cannot give: unknown hosts or VMs, MACs that differ, ids in use.</summary>
    private async Task<List<FileProblem>> CheckAgainstCluster(NetworkDefinition network, string path)
    {
        var problems = new List<FileProblem>();
        var hosts = await context.HostsAsync();
        var existing = (await context.LinksAsync()).Select(l => l.Link.Id).ToHashSet();
        foreach (var vm in network.Vms)
        {
            if (vm.Host is not null && hosts.All(h => h.Info.Name != vm.Host))
            {
                problems.Add(new FileProblem(path, vm.Line, vm.Column, $"VM {vm.Name} is pinned to unknown host '{vm.Host}' (hosts: {string.Join(", ", hosts.Select(h => h.Info.Name))})"));
                continue;
            }
            var offering = hosts.Where(h => (vm.Host is null || h.Info.Name == vm.Host) && h.Info.Vm(vm.Name) is not null).ToList();
            if (offering.Count == 0)
            {
                problems.Add(new FileProblem(path, vm.Line, vm.Column, vm.Host is null ? $"unknown VM '{vm.Name}': no host in the cluster offers it" : $"unknown VM '{vm.Name}': host {vm.Host} does not offer it"));
                continue;
            }
            var macs = offering.SelectMany(h => h.Info.Vm(vm.Name)!.Nics.Select(n => n.Mac)).ToImmutableHashSet();
            if (!macs.Contains(vm.Mac))
                problems.Add(new FileProblem(path, vm.Line, vm.Column, $"VM {vm.Name} has MAC {string.Join("/", macs)} in the cluster, the file says {vm.Mac}"));
        }
        foreach (var link in network.Links.Where(l => existing.Contains(l.Id)))
            problems.Add(new FileProblem(path, link.Line, link.Column, $"link id '{link.Id}' is already in use (delete it first, or rename it in the file)"));
        return problems;
    }
}
