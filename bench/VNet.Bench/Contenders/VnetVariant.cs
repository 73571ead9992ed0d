using VNet.Messages;

namespace VNet.Bench.Contenders;

/// <summary>How a VNet contender protects its capsules (the link's <c>--auth</c> and <c>--encrypt</c>).</summary>
public enum VnetProtection
{
    /// <summary>The default: every capsule authenticated (AES-256-GCM tag), the frame readable.</summary>
    Authenticated,
    /// <summary><c>--auth off</c>: no tag, nothing checked — measures what authentication costs.</summary>
    None,
    /// <summary><c>--encrypt</c>: every capsule authenticated and its frame encrypted.</summary>
    Encrypted,
}

/// <summary>One VNet contender: a link kind, its compression and its protection; the name says all three.</summary>
public sealed record VnetVariant(LinkKind Kind, Compression Compression, VnetProtection Protection = VnetProtection.Authenticated)
{
    /// <summary>"raw-p2p", "raw-p2p+lz4", "udp-p2p+noauth", "udp-p2p+encrypt".</summary>
    public string Name => Kind.Name() + (Compression == Compression.None ? "" : "+" + VnetLinkContender.CompressionName(Compression)) + Protection switch
    {
        VnetProtection.None => "+noauth",
        VnetProtection.Encrypted => "+encrypt",
        _ => "",
    };

    /// <summary>
    /// Every VNet contender, in the order measured: each link kind the product names without and with
    /// every compression (authenticated, the default), and for the two point-to-point kinds also
    /// without authentication and encrypted, so one run gives the cost of each. A kernel kind has
    /// neither compression nor capsule protection: it is measured once, as it is.
    /// </summary>
    public static IEnumerable<VnetVariant> All()
    {
        foreach (var kind in Enum.GetValues<LinkKind>())
        {
            if (kind.IsKernel())
            {
                yield return new(kind, Compression.None);
                continue;
            }
            foreach (var compression in Enum.GetValues<Compression>()) yield return new(kind, compression);
            if (kind.IsMultipoint()) continue;
            yield return new(kind, Compression.None, VnetProtection.None);
            yield return new(kind, Compression.None, VnetProtection.Encrypted);
        }
    }
}
