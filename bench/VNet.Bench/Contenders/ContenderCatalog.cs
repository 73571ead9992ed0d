namespace VNet.Bench.Contenders;

/// <summary>
/// Every contender, in the order they are measured: the substrate, the kernel, the rivals (each
/// without and with its usual crypto), then each VNet variant.
/// </summary>
public static class ContenderCatalog
{
    /// <summary>The contenders <paramref name="settings"/> selects (all unless <c>--only</c>).</summary>
    public static List<Contender> Select(BenchSettings settings)
    {
        var all = new List<Contender>
        {
            new SubstrateContender(), new VxlanContender(),
            new TincContender(settings.VmMtu), new TincContender(settings.VmMtu, crypto: true),
            new OpenVpnContender(settings.VmMtu), new OpenVpnContender(settings.VmMtu, gcm: true),
        };
        all.AddRange(VnetVariant.All().Select(v => new VnetLinkContender(v)));
        if (settings.Only is not { } only) return all;
        var unknown = only.Where(o => !all.Any(c => c.Name == o) && FamilyOf(o) is null).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"--only: unknown contender(s) {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(c => c.Name))}, or rivals, kernel, vnet");
        return all.Where(c => only.Contains(c.Name) || only.Any(o => FamilyOf(o) == c.Family)).ToList();
    }

    private static ContenderFamily? FamilyOf(string name) => name switch
    {
        "rivals" => ContenderFamily.Rival,
        "kernel" => ContenderFamily.Kernel,
        "vnet" => ContenderFamily.Vnet,
        _ => null,
    };
}
