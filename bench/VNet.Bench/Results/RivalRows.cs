namespace VNet.Bench.Results;

/// <summary>
/// Which rival rows carry crypto. The goals and the report compare VNet's default (authenticated)
/// and encrypted rows with the rivals' crypto rows, and the older goals and the “best rival” columns
/// with the rivals' no-crypto rows, as before the crypto rows existed.
/// </summary>
public static class RivalRows
{
    /// <summary>The rivals with their data-path crypto off: tinc Cipher/Digest none, OpenVPN --cipher/--auth none.</summary>
    public static IReadOnlyList<string> NoCrypto { get; } = ["tinc", "openvpn"];

    /// <summary>The rivals with crypto: tinc 1.0's default blowfish + sha1, OpenVPN AES-256-GCM (TLS mode).</summary>
    public static IReadOnlyList<string> Encrypted { get; } = ["tinc-crypto", "openvpn-gcm"];

    /// <summary>True for a row that compares as a no-crypto rival (the “best rival” columns).</summary>
    public static bool IsNoCrypto(string name) => NoCrypto.Contains(name);

    /// <summary>What a rival row's data path does for security, for the report's configuration list.</summary>
    public static string? CryptoOf(string name) => name switch
    {
        "tinc" => "none (Cipher = none, Digest = none)",
        "tinc-crypto" => "tinc 1.0's default: Blowfish-CBC encryption, HMAC-SHA1 (4 bytes) per packet; RSA-authenticated meta connection",
        "openvpn" => "none (static mode, --cipher none --auth none --data-ciphers none)",
        "openvpn-gcm" => "AES-256-GCM data channel, TLS mode with a throwaway CA (ECDHE), --disable-dco",
        _ => null,
    };
}
