using System.Collections.Immutable;
using System.Text.Json;

namespace VNet.Host.Labs;

/// <summary>A vnetd (or helper daemon) a lab started.</summary>
public sealed record LabProcess(string Name, string Netns, int Pid, string Log);

/// <summary>A host of a running lab: where its vnetd is and how to reach its console.</summary>
public sealed record LabHostState(string Name, string Netns, string Address, string Socket, string Config);

/// <summary>
/// What a running lab is made of, written as it is built (so a failed or interrupted build can be
/// torn down) to <c>/run/vnet/labs/&lt;id&gt;/state.json</c>.
/// </summary>
public sealed record LabState(string Id, string Name, string Prefix, string File, ImmutableArray<string> Namespaces, ImmutableArray<LabHostState> Hosts, ImmutableArray<LabProcess> Processes)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The seed nodes the lab's vnetds were started with; empty = they bootstrap by discovery.</summary>
    public ImmutableArray<string> SeedNodes { get; init; } = [];

    /// <summary>The discovery group of the lab (routers forward it, vnetds use it).</summary>
    public string? DiscoveryGroup { get; init; }

    /// <summary>The extra HOCON every vnetd of the lab got (used again when one is restarted).</summary>
    public string? ExtraConfig { get; init; }

    /// <summary>Root of the runtime directories (VNET_RUN_DIR or /run/vnet).</summary>
    public static string RunRoot => Environment.GetEnvironmentVariable("VNET_RUN_DIR") is { Length: > 0 } d ? d : "/run/vnet";

    /// <summary>The directory of lab <paramref name="id"/>.</summary>
    public static string DirectoryOf(string id) => Path.Combine(RunRoot, "labs", id);

    /// <summary>This lab's directory.</summary>
    public string Directory => DirectoryOf(Id);

    /// <summary>Writes the state file.</summary>
    public void Save()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var tmp = Path.Combine(Directory, "state.json.tmp");
        System.IO.File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        System.IO.File.Move(tmp, Path.Combine(Directory, "state.json"), overwrite: true);
    }

    /// <summary>The state of lab <paramref name="idOrName"/> (by id, or by name when one lab has it), or null.</summary>
    public static LabState? Read(string idOrName)
    {
        var direct = Path.Combine(DirectoryOf(idOrName), "state.json");
        if (System.IO.File.Exists(direct)) return Load(direct);
        var byName = Running().Where(s => s.Name == idOrName).ToList();
        return byName.Count == 1 ? byName[0] : null;
    }

    /// <summary>Every lab with a state file.</summary>
    public static List<LabState> Running()
    {
        var root = Path.Combine(RunRoot, "labs");
        if (!System.IO.Directory.Exists(root)) return [];
        return System.IO.Directory.GetDirectories(root).Select(d => Path.Combine(d, "state.json")).Where(System.IO.File.Exists).Select(Load).OfType<LabState>().ToList();
    }

    private static LabState? Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<LabState>(System.IO.File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }
}
