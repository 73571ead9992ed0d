using VNet.Capture.Inventory;
using System.Collections.Immutable;
using System.Globalization;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>hosts</c> palette: <c>vnet hosts</c> shows the TopologyManager's registry —
/// every host known from announces, discovery and membership, whether it is up, its VMs, load and
/// links; <c>vnet hosts --host NAME</c> shows one host's interfaces and VMs.
/// </summary>
public sealed class HostsPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("hosts", "the hosts the topology manager knows", [
        CommandDefinition.Of("show", "every known host: state, address, VMs, load C_n, links; --host for one host's interfaces and VMs",
            new SwitchDefinition("host", "show this host in detail")),
    ]) { DefaultCommand = "show" };

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => new GetHosts(r.Optional("host"));

    /// <summary>A host status as the console writes it.</summary>
    public static string Status(HostStatus status) => status.ToString().ToLowerInvariant();

    /// <inheritdoc/>
    protected override async Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink)
    {
        if (reply is not HostList list) return;
        if (r.Optional("host") is not null && list.Hosts is [var entry])
        {
            var info = entry.Info;
            await HostPalette.InterfacesAsync(sink, $"host {info.Name} ({Status(entry.Status)}, node {info.NodeAddress ?? "?"}, load {LoadMetric.Format(info.Load)})", info);
            await HostPalette.VmsAsync(sink, info);
            return;
        }
        await sink.EmitAsync(new ConsoleLine.Table($"{list.Hosts.Length} host(s) known to the topology manager",
            ["host", "state", "address", "node", "vms", "load", "links", "ttl"],
            [.. list.Hosts.Select(h => ImmutableArray.Create(
                h.Info.Name, Status(h.Status), h.Info.SubstrateAddress, h.Info.NodeAddress ?? "-",
                h.Info.Vms.IsDefaultOrEmpty ? "-" : string.Join(", ", h.Info.Vms.Select(v => v.Name)),
                LoadMetric.Format(h.Info.Load), h.Links.ToString(CultureInfo.InvariantCulture),
                h.Ttl?.ToString(CultureInfo.InvariantCulture) ?? "-"))]));
    }
}
