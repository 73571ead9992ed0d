using VNet.Host.Labs;

namespace VNet.Bench.Contenders;

/// <summary>
/// A certificate authority and one certificate per tunnel end, made with openssl for one contender
/// and deleted at its teardown: OpenVPN's TLS mode (needed for AES-GCM) wants certificates, and a
/// benchmark must not touch real ones. EC P-256 keys (fast to make), valid for two days; every
/// openssl call is bounded in time.
/// </summary>
public static class ThrowawayPki
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Creates <paramref name="dir"/> with ca.crt and, per name, NAME.key and NAME.crt; returns the directory.</summary>
    public static string Create(string dir, IEnumerable<string> names)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        string P(string file) => Path.Combine(dir, file);
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", P("ca.key"), "-out", P("ca.crt"), "-days", "2", "-subj", "/CN=vnet-bench-throwaway-ca");
        var serial = 1;
        foreach (var name in names)
        {
            OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", P(name + ".key"), "-out", P(name + ".csr"), "-subj", $"/CN={name}");
            OpenSsl("x509", "-req", "-in", P(name + ".csr"), "-CA", P("ca.crt"), "-CAkey", P("ca.key"),
                "-set_serial", (serial++).ToString(System.Globalization.CultureInfo.InvariantCulture), "-days", "2", "-out", P(name + ".crt"));
        }
        File.Delete(P("ca.key")); // nothing more is signed
        return dir;
    }

    private static void OpenSsl(params string[] args)
    {
        var r = Shell.Run("openssl", args, check: false, timeout: Limit);
        if (r.Exit != 0) throw new ContenderUnavailableException($"openssl {args[0]} failed: {(r.Error + r.Output).Trim()}");
    }
}
