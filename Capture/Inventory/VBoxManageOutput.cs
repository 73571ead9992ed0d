using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using VNet.Messages;

namespace VNet.Capture.Inventory;

/// <summary>A line of <c>VBoxManage list runningvms</c> / <c>list vms</c>.</summary>
/// <param name="Name">The VM name, which may contain spaces.</param>
/// <param name="Uuid">The VM UUID without braces; what the provider passes to showvminfo.</param>
public sealed record VBoxListedVm(string Name, string Uuid);

/// <summary>A network adapter of a VirtualBox VM (any slot whose <c>nicN</c> is not <c>none</c>).</summary>
/// <param name="Slot">The adapter number N (1–8, or more on ICH9 chipsets).</param>
/// <param name="Kind">The attachment kind: <c>bridged</c>, <c>hostonly</c>, <c>intnet</c>, <c>nat</c>, <c>hostonlynetwork</c>, <c>natnetwork</c>, <c>generic</c>…</param>
/// <param name="Mac">The guest's MAC (from <c>macaddressN</c>), or null when missing or unreadable.</param>
/// <param name="AttachedTo">What it is attached to as VirtualBox names it (<c>en1: AirPort</c>, <c>vboxnet0</c>, <c>DMZ</c>…), when stated.</param>
/// <param name="HostInterface">The host interface VNet can capture on, or null when the kind has none.</param>
public sealed record VBoxNic(int Slot, string Kind, MacAddress? Mac, string? AttachedTo, string? HostInterface);

/// <summary>What <c>VBoxManage showvminfo --machinereadable</c> says about a VM, reduced to what VNet needs.</summary>
/// <param name="Name">The <c>name</c> key, when present.</param>
/// <param name="Uuid">The <c>UUID</c> key, when present.</param>
/// <param name="State">The <c>VMState</c> key (<c>running</c>, <c>paused</c>, <c>poweroff</c>, <c>saved</c>…), when present.</param>
/// <param name="Nics">The adapters in use, by slot; none-adapters are left out.</param>
public sealed record VBoxVmInfo(string? Name, string? Uuid, string? State, ImmutableArray<VBoxNic> Nics);

/// <summary>
/// Pure parsers for VBoxManage output, written against real recorded outputs of versions 3.1 to 7.0
/// and their quirks: keys in any order (3.1 prints <c>bridgeadapter1</c> before <c>nic1</c>), quoted
/// and unquoted values (<c>memory=360</c>, <c>&lt;not set&gt;</c>), quoted keys, a value spanning lines
/// (7.0's <c>description</c>), lines without <c>=</c> (7.0's <c>Encryption:     disabled</c>,
/// <c> rec_screen0</c>), and backslashes doubled in some fields (<c>CfgFile="C:\\…"</c>) but not others.
/// </summary>
public static partial class VBoxManageOutput
{
    /// <summary>The attachment key that names what adapter N is attached to, per kind.</summary>
    private static readonly ImmutableDictionary<string, string> AttachmentKeys = new Dictionary<string, string>
    {
        ["bridged"] = "bridgeadapter",
        ["hostonly"] = "hostonlyadapter",
        ["intnet"] = "intnet",
        ["nat"] = "natnet",
        ["natnetwork"] = "nat-network",
        ["hostonlynetwork"] = "hostonly-network",
        ["generic"] = "generic",
        ["cloud"] = "cloud-network",
    }.ToImmutableDictionary();

    /// <summary>Parses <c>VBoxManage list runningvms</c>: lines <c>"name" {uuid}</c>; names may hold spaces and quotes. Other lines are ignored.</summary>
    public static ImmutableArray<VBoxListedVm> ParseVmList(string text) =>
        [.. text.Split('\n')
            .Select(line => ListLine().Match(line.TrimEnd('\r', ' ')))
            .Where(m => m.Success)
            .Select(m => new VBoxListedVm(m.Groups["name"].Value, m.Groups["uuid"].Value))];

    /// <summary>
    /// Parses <c>--machinereadable</c> output into key → value, unquoting keys and values and undoing
    /// VBoxManage's escapes (<c>\\</c> → <c>\</c>, <c>\"</c> → <c>"</c>; a lone backslash is kept). A quoted
    /// value that does not end on its line continues on the next lines, joined with <c>\n</c>. Lines
    /// without <c>=</c> are skipped. A repeated key keeps its last value.
    /// </summary>
    public static ImmutableDictionary<string, string> ParseMachineReadable(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? pendingKey = null;
        StringBuilder pending = new();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pendingKey is not null)
            {
                pending.Append('\n').Append(line);
                if (line.EndsWith('"'))
                {
                    values[pendingKey] = Unescape(pending.ToString(1, pending.Length - 2));
                    pendingKey = null;
                }
                continue;
            }
            var (key, rest) = SplitKey(line);
            if (key is null) continue;
            if (!rest.StartsWith('"'))
            {
                values[key] = rest;
            }
            else if (rest.Length >= 2 && rest.EndsWith('"'))
            {
                values[key] = Unescape(rest[1..^1]);
            }
            else
            {
                pendingKey = key;
                pending.Clear().Append(rest);
            }
        }
        // An unterminated value at the end of the output keeps what was there.
        if (pendingKey is not null) values[pendingKey] = Unescape(pending.ToString(1, pending.Length - 1));
        return values.ToImmutableDictionary(StringComparer.Ordinal);
    }

    /// <summary>Parses <c>VBoxManage showvminfo VM --machinereadable</c>: name, UUID, state and the adapters in use, by slot.</summary>
    public static VBoxVmInfo ParseShowVmInfo(string text) => FromValues(ParseMachineReadable(text));

    /// <summary>Builds a <see cref="VBoxVmInfo"/> from parsed machine-readable values.</summary>
    public static VBoxVmInfo FromValues(IReadOnlyDictionary<string, string> values)
    {
        var nics = ImmutableArray.CreateBuilder<VBoxNic>();
        foreach (var (key, kind) in values)
        {
            var match = NicKey().Match(key);
            if (!match.Success || kind is "none" or "null") continue;
            var slot = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var attachedTo = AttachmentKeys.TryGetValue(kind, out var prefix) ? values.GetValueOrDefault(prefix + slot) : null;
            nics.Add(new VBoxNic(slot, kind, ParseMac(values.GetValueOrDefault("macaddress" + slot)), attachedTo, HostInterface(kind, attachedTo)));
        }
        nics.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        return new VBoxVmInfo(values.GetValueOrDefault("name"), values.GetValueOrDefault("UUID"), values.GetValueOrDefault("VMState"), nics.ToImmutable());
    }

    /// <summary>Parses VirtualBox's MAC form, twelve hex digits without separators (<c>08002771F257</c>); null if it is not that.</summary>
    public static MacAddress? ParseMac(string? text) =>
        text is { Length: 12 } && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? new MacAddress(value)
            : null;

    /// <summary>
    /// The host interface of an adapter: for <c>bridged</c>, the bridge adapter's name up to its first
    /// <c>:</c> (<c>en1: AirPort</c> → <c>en1</c>); for <c>hostonly</c>, the host-only adapter
    /// (<c>vboxnet0</c>). Other kinds (intnet, nat, natnetwork, hostonlynetwork, generic) live inside
    /// VirtualBox and have no host interface: null.
    /// </summary>
    public static string? HostInterface(string kind, string? attachedTo)
    {
        if (string.IsNullOrWhiteSpace(attachedTo)) return null;
        return kind switch
        {
            "bridged" => attachedTo.Split(':', 2)[0].Trim() is { Length: > 0 } name ? name : null,
            "hostonly" => attachedTo.Trim(),
            _ => null,
        };
    }

    private static (string? Key, string Value) SplitKey(string line)
    {
        if (line.StartsWith('"'))
        {
            var close = line.IndexOf("\"=", 1, StringComparison.Ordinal);
            return close < 0 ? (null, "") : (line[1..close], line[(close + 2)..]);
        }
        var equals = line.IndexOf('=');
        // A key never starts with a blank: " rec_screen0" and similar stray lines are not entries.
        if (equals <= 0 || char.IsWhiteSpace(line[0])) return (null, "");
        return (line[..equals], line[(equals + 1)..]);
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('\\')) return value;
        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length && value[i + 1] is '\\' or '"')
            {
                result.Append(value[i + 1]);
                i++;
            }
            else
            {
                result.Append(value[i]);
            }
        }
        return result.ToString();
    }

    [GeneratedRegex(@"^""(?<name>.*)""\s+\{(?<uuid>[0-9A-Fa-f-]+)\}$")]
    private static partial Regex ListLine();

    [GeneratedRegex(@"^nic(\d+)$")]
    private static partial Regex NicKey();
}
