using VNet.Client;
using System.Collections.Immutable;
using VNet.Actors.Commands;
using VNet.Actors.Commands.Palettes;

namespace VNet.Host.Experiments;

/// <summary>
/// The console's palettes as a node serves them, for checking an experiment's commands without a
/// node (<c>vnet experiment check</c>). The definitions are the palettes' own, so the check cannot
/// drift from what a node accepts; a run checks again against the palettes the node sent on connect.
/// </summary>
public static class PaletteCatalog
{
    /// <summary>Every palette a vnetd serves (discovery included).</summary>
    public static ImmutableArray<PaletteDefinition> Definitions { get; } = Build();

    private static ImmutableArray<PaletteDefinition> Build()
    {
        // Only the definitions are read; no command runs, so the palettes need no context.
        CommandDispatcher none = null!;
        IPalette[] palettes = [new ClusterPalette(none), new HostPalette(none), new LinkPalette(none), new NetPalette(none), new ActorPalette(none), new HostsPalette(none), new DiscoverPalette(none), new LogPalette(none)];
        return [.. palettes.Select(p => p.Definition)];
    }

    /// <summary>
    /// Checks a command line against <paramref name="palettes"/> the way the console client does
    /// (palette, command, switches, required switches); null when it is a valid command, else the problem.
    /// </summary>
    public static string? Problem(ImmutableArray<PaletteDefinition> palettes, IReadOnlyList<string> words)
    {
        if (words.Count == 0) return "the command is empty";
        var palette = palettes.FirstOrDefault(p => p.Name == words[0]);
        if (palette is null) return $"unknown palette '{words[0]}' (palettes: {string.Join(", ", palettes.Select(p => p.Name))})";
        var rest = words.Skip(1).ToList();
        if (palette.DefaultCommand is { } implied && (rest.Count == 0 || rest[0].StartsWith("--", StringComparison.Ordinal))) rest.Insert(0, implied);
        if (rest.Count == 0) return $"{palette.Name}: which command? ({string.Join(", ", palette.Commands.Select(c => c.Name))})";
        var command = palette.Commands.FirstOrDefault(c => c.Name == rest[0]);
        if (command is null) return $"unknown command '{palette.Name} {rest[0]}' (commands: {string.Join(", ", palette.Commands.Select(c => c.Name))})";
        var given = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < rest.Count; i++)
        {
            var w = rest[i];
            if (!w.StartsWith("--", StringComparison.Ordinal)) return $"{palette.Name} {command.Name}: unexpected '{w}' (switches are written --name value)";
            var name = w[2..];
            var inline = name.Contains('=');
            if (inline) name = name[..name.IndexOf('=')];
            var sw = command.Switches.FirstOrDefault(s => s.Name == name);
            if (sw is null)
                return $"{palette.Name} {command.Name}: unknown switch --{name} (switches: {(command.Switches.Length == 0 ? "none" : string.Join(", ", command.Switches.Select(s => "--" + s.Name)))})";
            given.Add(name);
            if (sw.IsFlag || inline) continue;
            if (i + 1 >= rest.Count || rest[i + 1].StartsWith("--", StringComparison.Ordinal)) return $"{palette.Name} {command.Name}: --{name} needs a value ({sw.Description})";
            i++;
        }
        var missing = command.Switches.FirstOrDefault(s => s.Required && !given.Contains(s.Name));
        return missing is null ? null : $"{palette.Name} {command.Name}: --{missing.Name} is required ({missing.Description})";
    }
}
