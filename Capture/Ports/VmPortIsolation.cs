using System.Globalization;
using VNet.Capture.Inventory;

namespace VNet.Capture.Ports;

/// <summary>
/// Makes a VM port a port, not a host interface, while a link holds it: an nftables netdev ingress
/// drop (see <see cref="VmPortRules"/>) and sysctls, the previous values of which are recorded and
/// restored when the last link on the port lets go. Several links may hold one interface (a shared
/// interface with <c>filter-src</c>), so holds are counted per interface in this process.
/// </summary>
public sealed class VmPortIsolation : IDisposable
{
    /// <summary>nft from the Debian package nftables.</summary>
    public static readonly ExternalTool Nft = new("nft", "Debian package nftables", "VM port isolation");

    private static readonly Dictionary<string, Held> HeldPorts = new(StringComparer.Ordinal);

    private sealed class Held(string name)
    {
        public readonly string Name = name;
        public int Count;
        public bool TableInstalled;
        public uint Index;            // the interface index the table and sysctls were applied to
        public readonly List<(PortSysctl Sysctl, string Previous)> Changed = new();
    }

    private readonly ICommandRunner _runner;
    private readonly string _interface;
    private bool _released;

    private VmPortIsolation(ICommandRunner runner, string interfaceName, IReadOnlyList<string> warnings)
    {
        _runner = runner;
        _interface = interfaceName;
        Warnings = warnings;
    }

    /// <summary>What could not be done; empty when the port is fully isolated.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>True when the nftables drop is in place (the sysctls alone do not stop raw sockets or discovery).</summary>
    public bool Isolated { get; private init; }

    /// <summary>Where sysctls live; tests point it elsewhere.</summary>
    public static string ProcSys { get; set; } = "/proc/sys";

    /// <summary>
    /// Isolates <paramref name="interfaceName"/> (or adds a hold when this process already did).
    /// Never throws for a missing nft or a refused sysctl: the link still works, and the returned
    /// <see cref="Warnings"/> say that the port is not isolated.
    /// </summary>
    public static VmPortIsolation Hold(string interfaceName, ICommandRunner? runner = null)
    {
        runner ??= ProcessCommandRunner.Default;
        var warnings = new List<string>();
        if (!VmPortRules.IsUsableName(interfaceName))
        {
            warnings.Add($"VM port '{interfaceName}' is not isolated: its name cannot be used in an nftables ruleset");
            return new VmPortIsolation(runner, interfaceName, warnings) { Isolated = false };
        }
        lock (HeldPorts)
        {
            if (!HeldPorts.TryGetValue(interfaceName, out var held))
            {
                held = new Held(interfaceName);
                Apply(runner, held, warnings);
                HeldPorts[interfaceName] = held;
            }
            else if (!held.TableInstalled)
            {
                warnings.Add($"VM port {interfaceName} is not isolated (the nftables drop could not be installed)");
            }
            held.Count++;
            return new VmPortIsolation(runner, interfaceName, warnings) { Isolated = held.TableInstalled };
        }
    }

    /// <summary>Installs the table and sets the sysctls on the interface as it is now (recording its index).</summary>
    private static void Apply(ICommandRunner runner, Held held, List<string> warnings)
    {
        var interfaceName = held.Name;
        held.Index = Native.Libc.if_nametoindex(interfaceName);
        held.TableInstalled = false;
        // Previous values first: they go into the table comment, so a crash leaves them recorded.
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in VmPortRules.Sysctls(interfaceName))
            if (TryRead(s, out var value)) previous[s.Key] = value;
        try
        {
            Nft.Run(runner, VmPortRules.RenderIsolate(interfaceName, previous));
            held.TableInstalled = true;
        }
        catch (ExternalToolException e)
        {
            warnings.Add($"VM port {interfaceName} is not isolated: the host's own stack still sees what the VM sends ({e.Message})");
        }
        foreach (var s in VmPortRules.Sysctls(interfaceName))
        {
            if (!previous.TryGetValue(s.Key, out var before)) continue; // e.g. IPv6 off in the kernel: nothing to change
            if (before == s.Value) continue;
            if (TryWrite(s, s.Value, out var error)) held.Changed.Add((s, before));
            else warnings.Add($"VM port {interfaceName}: cannot set {s.Key}={s.Value}: {error}");
        }
    }

    /// <summary>
    /// Isolates the port again when its interface was created anew since it was isolated (it
    /// vanished and came back under the same name: the kernel dropped the old table and the new
    /// interface has default sysctls). Idempotent; returns what could not be done.
    /// </summary>
    public IReadOnlyList<string> Refresh()
    {
        lock (HeldPorts)
        {
            if (_released || !HeldPorts.TryGetValue(_interface, out var held)) return Warnings;
            var index = Native.Libc.if_nametoindex(_interface);
            if (index == 0 || index == held.Index) return Warnings;
            held.Changed.Clear(); // the old interface's values went with it
            var warnings = new List<string>();
            Apply(_runner, held, warnings);
            return warnings;
        }
    }

    /// <summary>Lets go of the port: the last hold removes the table and restores the sysctls.</summary>
    public void Dispose()
    {
        lock (HeldPorts)
        {
            if (_released) return;
            _released = true;
            if (!HeldPorts.TryGetValue(_interface, out var held) || --held.Count > 0) return;
            HeldPorts.Remove(_interface);
            Restore(_runner, held);
        }
    }

    /// <summary>True when a link of this process holds <paramref name="interfaceName"/> as a VM port (it is no substrate interface then).</summary>
    public static bool IsHeld(string interfaceName)
    {
        lock (HeldPorts) return HeldPorts.ContainsKey(interfaceName);
    }

    /// <summary>Releases every port this process holds (clean shutdown, after the links went down).</summary>
    public static void ReleaseAll(ICommandRunner? runner = null)
    {
        lock (HeldPorts)
        {
            foreach (var held in HeldPorts.Values) Restore(runner ?? ProcessCommandRunner.Default, held);
            HeldPorts.Clear();
        }
    }

    /// <summary>
    /// At start: removes every VNet port table a previous vnetd left behind (it crashed or was
    /// killed), restoring the sysctls its comment recorded. Nothing is held yet, so every such table
    /// is stale. Returns what was done, for the log; a missing nft is not an error here.
    /// </summary>
    public static IReadOnlyList<string> CleanStale(ICommandRunner? runner = null)
    {
        runner ??= ProcessCommandRunner.Default;
        var done = new List<string>();
        string listing;
        try
        {
            listing = Nft.Run(runner, "list", "ruleset", "netdev");
        }
        catch (ExternalToolException e)
        {
            done.Add($"could not look for stale VM port tables: {e.Message}");
            return done;
        }
        foreach (var (table, comment) in VmPortRules.PortTables(listing))
        {
            lock (HeldPorts)
            {
                var parsed = VmPortRules.ParseComment(comment);
                if (parsed is { } p && HeldPorts.ContainsKey(p.Interface)) continue;
                try
                {
                    Nft.Run(runner, $"delete table netdev {table}\n");
                }
                catch (ExternalToolException e)
                {
                    done.Add($"could not remove stale table {table}: {e.Message}");
                    continue;
                }
                var restored = new List<string>();
                if (parsed is { } q)
                    foreach (var (s, previous) in q.Values)
                        if (TryWrite(s, previous, out _)) restored.Add($"{s.Key}={previous}");
                done.Add($"removed stale VM port table {table}{(restored.Count > 0 ? $", restored {string.Join(", ", restored)}" : "")}");
            }
        }
        return done;
    }

    private static void Restore(ICommandRunner runner, Held held)
    {
        if (held.TableInstalled)
        {
            try
            {
                Nft.Run(runner, VmPortRules.RenderRemove(held.Name));
            }
            catch (ExternalToolException)
            {
                // The interface went away (the VM stopped): the kernel removed its netdev table with it.
            }
        }
        foreach (var (s, previous) in held.Changed) TryWrite(s, previous, out _);
        held.Changed.Clear();
    }

    private static bool TryRead(PortSysctl s, out string value)
    {
        try
        {
            value = File.ReadAllText(Path.Combine(ProcSys, s.Path)).Trim();
            return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            value = "";
            return false;
        }
    }

    private static bool TryWrite(PortSysctl s, string value, out string error)
    {
        try
        {
            File.WriteAllText(Path.Combine(ProcSys, s.Path), value + "\n");
            error = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }
    }
}
