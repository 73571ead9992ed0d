using System.Globalization;
using VNet.Messages;

namespace VNet.Actors.Commands.Palettes;

/// <summary>
/// The <c>hosts</c> palette: <c>vnet hosts</c> shows the TopologyManager's registry —
/// every host known from announces, discovery and membership, whether it is up, its VMs, load and
/// links; <c>vnet hosts --host NAME</c> shows one host's interfaces and VMs.
/// </summary>
public sealed class HostsPalette(CommandContext context) : IPalette
{
    /// <inheritdoc/>
    public PaletteDefinition Definition { get; } = new("hosts", "the hosts the topology manager knows", [
        CommandDefinition.Of("show", "every known host: state, address, VMs, load C_n, links; --host for one host's interfaces and VMs",
            new SwitchDefinition("host", "show this host in detail")),
    ]) { DefaultCommand = "show" };

    /// <inheritdoc/>
    public async Task ExecuteAsync(CommandRequest r, ICommandSink sink, CancellationToken cancel)
    {
        var hosts = await context.HostsAsync();
        if (r.Optional("host") is { } name)
        {
            var entry = hosts.FirstOrDefault(h => h.Info.Name == name) ?? throw new CommandException($"no host '{name}' (known: {string.Join(", ", hosts.Select(h => h.Info.Name))})");
            var info = entry.Info;
            await sink.ResultAsync(r, $"host {info.Name} ({entry.State}, node {info.NodeAddress ?? "?"}, load {info.Load.ToString("G4", CultureInfo.InvariantCulture)})",
                ["interface", "ipv4", "mac", "mtu", "gateway", "gateway-mac"],
                info.Interfaces.Select(i => new[] { i.Name, i.IPv4 is null ? "-" : $"{i.IPv4}/{i.PrefixLength}", i.Mac?.ToString() ?? "-", i.Mtu.ToString(CultureInfo.InvariantCulture), i.Gateway ?? "-", i.GatewayMac?.ToString() ?? "-" }),
                entry);
            if (!r.Json)
                await sink.ResultAsync(r, $"VMs offered by {info.Name}", ["vm", "state", "mac", "host-interface"],
                    info.Vms.SelectMany(v => v.Nics.DefaultIfEmpty().Select(n => new[] { v.Name, v.State, n?.Mac.ToString() ?? "-", n?.HostInterface ?? "-" })), null);
            return;
        }
        await sink.ResultAsync(r, $"{hosts.Length} host(s) known to the topology manager",
            ["host", "state", "address", "node", "vms", "load", "links", "ttl"],
            hosts.Select(h => new[]
            {
                h.Info.Name, h.State, h.Info.SubstrateAddress, h.Info.NodeAddress ?? "-",
                h.Info.Vms.IsDefaultOrEmpty ? "-" : string.Join(", ", h.Info.Vms.Select(v => v.Name)),
                h.Info.Load.ToString("G4", CultureInfo.InvariantCulture), h.Links.ToString(CultureInfo.InvariantCulture),
                h.Ttl?.ToString(CultureInfo.InvariantCulture) ?? "-",
            }),
            hosts);
    }
}
