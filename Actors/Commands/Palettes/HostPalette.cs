using VNet.Capture.Inventory;
using System.Collections.Immutable;
using System.Globalization;
using VNet.Client;
using VNet.Messages;
using VNet.Messages.Commands;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>host</c> palette: this node's own view — its description and its link table.</summary>
public sealed class HostPalette(CommandDispatcher dispatcher) : Palette(dispatcher)
{
    /// <inheritdoc/>
    public override PaletteDefinition Definition { get; } = new("host", "this node's host", [
        CommandDefinition.Of("show", "name, substrate address, load and VMs of this host"),
        CommandDefinition.Of("inventory", "interfaces (IPv4, MAC, MTU, gateway and its MAC) and VM NICs of this host"),
        CommandDefinition.Of("links", "this host's link table: protocol numbers, transports, status, counters"),
    ]);

    /// <inheritdoc/>
    public override ICommandRequest Parse(CommandRequest r) => r.Command switch
    {
        "show" or "inventory" => GetHostInfo.Instance,
        "links" => GetHostLinks.Instance,
        _ => throw new CommandException($"unknown command 'host {r.Command}'", ExitCodes.Usage),
    };

    /// <inheritdoc/>
    protected override async Task RenderAsync(CommandRequest r, ICommandReply reply, ICommandSink sink)
    {
        switch (reply)
        {
            case HostDescribed { Info: var info } when r.Command == "show":
                await sink.EmitAsync(new ConsoleLine.Table($"host {info.Name}", ["name", "address", "node", "vms", "load"],
                    [[info.Name, info.SubstrateAddress, info.NodeAddress ?? "", string.Join(", ", info.Vms.Select(v => v.Name)), LoadMetric.Format(info.Load)]]));
                break;
            case HostDescribed { Info: var info }:
                await InterfacesAsync(sink, $"interfaces of {info.Name}", info);
                await VmsAsync(sink, info);
                break;
            case HostLinks table:
                await sink.EmitAsync(new ConsoleLine.Table($"links on {table.Host}", ["id", "kind", "protocol", "local", "peers", "status", "vm-mtu", "detail"],
                    [.. table.Links.Select(row =>
                    {
                        var local = row.Link.EndpointOn(table.Host);
                        return ImmutableArray.Create(row.Link.Id, row.Link.Kind.Name(), row.Link.Protocol.ToString(CultureInfo.InvariantCulture),
                            local is null ? "?" : $"{local.Vm} on {local.HostInterface}",
                            string.Join(", ", row.Link.Endpoints.Where(e => e.Host != table.Host).Select(e => $"{e.Vm}@{e.Host} {e.SubstrateAddress}{(e.Port != 0 ? $":{e.Port}" : "")}")),
                            row.Status.ToString().ToLowerInvariant(), row.VmMtu.ToString(CultureInfo.InvariantCulture), row.Detail ?? "");
                    })]));
                break;
        }
    }

    /// <summary>A host's interfaces as a table.</summary>
    public static Task InterfacesAsync(ICommandSink sink, string title, HostInfo info) =>
        sink.EmitAsync(new ConsoleLine.Table(title, ["interface", "ipv4", "mac", "mtu", "gateway", "gateway-mac"],
            [.. info.Interfaces.Select(i => ImmutableArray.Create(i.Name, i.IPv4 is null ? "-" : $"{i.IPv4}/{i.PrefixLength}", i.Mac?.ToString() ?? "-", i.Mtu.ToString(CultureInfo.InvariantCulture), i.Gateway ?? "-", i.GatewayMac?.ToString() ?? "-"))]));

    /// <summary>A host's VMs and their NICs as a table.</summary>
    public static Task VmsAsync(ICommandSink sink, HostInfo info) =>
        sink.EmitAsync(new ConsoleLine.Table($"VMs offered by {info.Name}", ["vm", "state", "mac", "host-interface"],
            [.. info.Vms.SelectMany(v => v.Nics.DefaultIfEmpty().Select(n => ImmutableArray.Create(v.Name, v.State, n?.Mac.ToString() ?? "-", n?.HostInterface ?? "-")))]));
}
