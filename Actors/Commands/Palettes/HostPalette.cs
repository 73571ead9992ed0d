using System.Collections.Immutable;
using System.Globalization;
using VNet.Messages;

namespace VNet.Actors.Commands.Palettes;

/// <summary>The <c>host</c> palette: this node's own view — its description and its link table.</summary>
public sealed class HostPalette(CommandContext context) : IPalette
{
    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("host", "this node's host", [
        CommandDefinition.Of("show", "name, substrate address, load and VMs of this host"),
        CommandDefinition.Of("inventory", "interfaces (IPv4, MAC, MTU, gateway and its MAC) and VM NICs of this host"),
        CommandDefinition.Of("links", "this host's link table: protocol numbers, transports, status, counters"),
    ]);

    /// <summary>One row of `host links`.</summary>
    public sealed record HostLinkView(string Id, string Kind, int Protocol, string Local, string Peers, string Status, int VmMtu, string? Detail, int Port);

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        switch (r.Command)
        {
            case "show":
            {
                var info = await Info();
                await sink.ResultAsync(r, $"host {info.Name}", ["name", "address", "node", "vms", "load"],
                    [[info.Name, info.SubstrateAddress, info.NodeAddress ?? "", string.Join(", ", info.Vms.Select(v => v.Name)), info.Load.ToString("G4", CultureInfo.InvariantCulture)]],
                    new { info.Name, address = info.SubstrateAddress, node = info.NodeAddress, vms = info.Vms.Select(v => v.Name).ToArray(), info.Load });
                break;
            }
            case "inventory":
            {
                var info = await Info();
                await sink.ResultAsync(r, $"interfaces of {info.Name}", ["interface", "ipv4", "mac", "mtu", "gateway", "gateway-mac"],
                    info.Interfaces.Select(i => new[] { i.Name, i.IPv4 is null ? "-" : $"{i.IPv4}/{i.PrefixLength}", i.Mac?.ToString() ?? "-", i.Mtu.ToString(CultureInfo.InvariantCulture), i.Gateway ?? "-", i.GatewayMac?.ToString() ?? "-" }),
                    info);
                if (!r.Json)
                    await sink.ResultAsync(r, $"VMs offered by {info.Name}", ["vm", "state", "mac", "host-interface"],
                        info.Vms.SelectMany(v => v.Nics.DefaultIfEmpty().Select(n => new[] { v.Name, v.State, n?.Mac.ToString() ?? "-", n?.HostInterface ?? "-" })), null);
                break;
            }
            case "links":
            {
                var table = await context.AskAsync(context.Host, LinkProtocol.GetTable.Instance, "host") as LinkProtocol.Table
                    ?? throw new CommandException("unexpected answer from the host actor");
                var views = table.Rows.Select(row =>
                {
                    var local = row.Link.EndpointOn(table.Host);
                    return new HostLinkView(row.Link.Id, row.Link.Kind.Name(), row.Link.Protocol,
                        local is null ? "?" : $"{local.Vm} on {local.HostInterface}",
                        string.Join(", ", row.Link.Endpoints.Where(e => e.Host != table.Host).Select(e => $"{e.Vm}@{e.Host} {e.SubstrateAddress}{(e.Port != 0 ? $":{e.Port}" : "")}")),
                        row.Status.ToString().ToLowerInvariant(), row.VmMtu, row.Detail, local?.Port ?? 0);
                }).ToList();
                await sink.ResultAsync(r, $"links on {table.Host}", ["id", "kind", "protocol", "local", "peers", "status", "vm-mtu", "detail"],
                    views.Select(v => new[] { v.Id, v.Kind, v.Protocol.ToString(CultureInfo.InvariantCulture), v.Local, v.Peers, v.Status, v.VmMtu.ToString(CultureInfo.InvariantCulture), v.Detail ?? "" }),
                    views);
                break;
            }
        }
    }

    private async Task<HostInfo> Info() =>
        await context.AskAsync(context.Host, Hosts.HostActor.GetInfo.Instance, "host") as HostInfo
        ?? throw new CommandException("unexpected answer from the host actor");
}
