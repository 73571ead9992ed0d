using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VNet.Host.Trust;

/// <summary>
/// The cluster's own certificate authority: one CA per cluster (or lab), and one certificate per
/// node signed by it. Nodes accept Akka.Remote connections only from peers whose certificate chains
/// to that CA (mutual TLS), and the console over TCP only from clients holding such a certificate.
/// Keys are ECDSA P-256; files are PEM, private keys readable by root only.
/// <code>
///   DIR/ca.crt  DIR/ca.key          the authority (keep ca.key off the nodes)
///   DIR/NAME.crt DIR/NAME.key       a node's (or an operator's) certificate
///   DIR/cluster.key                 the cluster's shared secret (discovery answers are signed with it)
/// </code>
/// </summary>
public static class ClusterPki
{
    /// <summary>File name of the authority's certificate in a PKI directory.</summary>
    public const string CaCertificateFile = "ca.crt";

    /// <summary>File name of the authority's private key.</summary>
    public const string CaKeyFile = "ca.key";

    /// <summary>File name of the cluster's shared secret.</summary>
    public const string ClusterKeyFile = "cluster.key";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Creates a new authority (and the cluster key) in <paramref name="directory"/>; refuses to
    /// overwrite an existing one, since every certificate it issued would stop being trusted.
    /// </summary>
    public static void Init(string directory, string clusterName, TimeSpan? lifetime = null)
    {
        var caCrt = Path.Combine(directory, CaCertificateFile);
        if (File.Exists(caCrt)) throw new PkiException($"{caCrt} exists: a cluster authority is already there (remove the directory to start over)");
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=vnet cluster CA {clusterName}, O=VNet", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(lifetime ?? TimeSpan.FromDays(3650)));
        WritePrivate(Path.Combine(directory, CaKeyFile), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(caCrt, ca.ExportCertificatePem() + "\n");
        WritePrivate(Path.Combine(directory, ClusterKeyFile), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
    }

    /// <summary>
    /// Issues a certificate for <paramref name="name"/> (a node's host name, or an operator) signed
    /// by the authority in <paramref name="directory"/>, valid for server and client authentication,
    /// with the given addresses and the name as subject alternative names. Writes NAME.crt and NAME.key
    /// into <paramref name="output"/> (default: the PKI directory) and returns the certificate's path.
    /// </summary>
    public static string Issue(string directory, string name, IReadOnlyList<IPAddress> addresses, string? output = null, TimeSpan? lifetime = null)
    {
        if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            throw new PkiException($"certificate name '{name}': use 1-64 letters, digits, '-', '.' or '_'");
        using var ca = LoadAuthority(directory);
        output ??= directory;
        Directory.CreateDirectory(output);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=VNet", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        foreach (var a in addresses) san.AddIpAddress(a);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.Add(lifetime ?? TimeSpan.FromDays(825));
        if (notAfter > ca.NotAfter) notAfter = ca.NotAfter;
        using var cert = request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        var crt = Path.Combine(output, name + ".crt");
        WritePrivate(Path.Combine(output, name + ".key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(crt, cert.ExportCertificatePem() + "\n");
        return crt;
    }

    /// <summary>Loads a certificate with its private key from PEM files, naming the file on error.</summary>
    public static X509Certificate2 LoadCertificate(string certificatePath, string keyPath)
    {
        foreach (var f in new[] { certificatePath, keyPath })
            if (!File.Exists(f)) throw new PkiException($"{f}: no such file");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            // A certificate made from PEM holds an ephemeral key, which TLS on some platforms refuses; a PKCS#12 round trip makes it a normal one.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new PkiException($"{certificatePath} / {keyPath}: not a PEM certificate and its private key ({e.Message})");
        }
    }

    /// <summary>Loads the authority's certificate (public part only).</summary>
    public static X509Certificate2 LoadCa(string path)
    {
        if (!File.Exists(path)) throw new PkiException($"{path}: no such file (the cluster CA certificate)");
        try
        {
            return X509CertificateLoader.LoadCertificate(System.Text.Encoding.ASCII.GetBytes(File.ReadAllText(path)));
        }
        catch (CryptographicException)
        {
            try
            {
                return X509Certificate2.CreateFromPem(File.ReadAllText(path));
            }
            catch (CryptographicException e)
            {
                throw new PkiException($"{path}: not a PEM certificate ({e.Message})");
            }
        }
    }

    /// <summary>Reads the cluster key (32 bytes, base64 in the file).</summary>
    public static byte[] LoadClusterKey(string path)
    {
        if (!File.Exists(path)) throw new PkiException($"{path}: no such file (the cluster key)");
        try
        {
            var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (key.Length < 16) throw new PkiException($"{path}: the cluster key must be at least 16 bytes");
            return key;
        }
        catch (FormatException)
        {
            throw new PkiException($"{path}: the cluster key is not base64");
        }
    }

    /// <summary>
    /// True when <paramref name="peer"/> was issued by <paramref name="ca"/> (its chain ends at that
    /// authority and no other), is within its validity, and may authenticate TLS peers.
    /// </summary>
    public static bool IsIssuedBy(X509Certificate2? peer, X509Certificate2 ca, out string why)
    {
        if (peer is null) { why = "no certificate presented"; return false; }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(peer))
        {
            why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("chain does not verify"));
            return false;
        }
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span)) { why = "issued by another authority"; return false; }
        why = "";
        return true;
    }

    private static X509Certificate2 LoadAuthority(string directory)
    {
        var crt = Path.Combine(directory, CaCertificateFile);
        var key = Path.Combine(directory, CaKeyFile);
        if (!File.Exists(crt) || !File.Exists(key)) throw new PkiException($"{directory}: no cluster authority here (run `vnet pki init --dir {directory}` first)");
        return LoadCertificate(crt, key);
    }

    private static void WritePrivate(string path, string content)
    {
        // Created 0600 before anything is written, so the key is never readable by others.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (File.Exists(path)) File.Delete(path);
        using var writer = new StreamWriter(path, options);
        writer.Write(content + (content.EndsWith('\n') ? "" : "\n"));
    }
}

/// <summary>A PKI file is missing or wrong; the message names the file.</summary>
public sealed class PkiException(string message) : Exception(message);
