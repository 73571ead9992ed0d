using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace VNet.Host.Trust;

/// <summary>
/// What a node trusts (the <c>vnet.trust</c> HOCON section): its own certificate and key, the
/// cluster's authority, and the cluster key. With <c>mode = mtls</c> (the default) Akka.Remote runs
/// over TLS, both sides present a certificate, and a peer is accepted only when its certificate
/// chains to the cluster's authority — a node without one can neither join nor send.
/// </summary>
public sealed class NodeTrust
{
    private NodeTrust(X509Certificate2 certificate, X509Certificate2 ca, byte[]? clusterKey, string describe)
    {
        Certificate = certificate;
        Authority = ca;
        ClusterKey = clusterKey;
        Description = describe;
    }

    /// <summary>The node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster's authority.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The cluster's shared secret, when the PKI directory has one.</summary>
    public byte[]? ClusterKey { get; }

    /// <summary>Where the files came from (for the start-up line).</summary>
    public string Description { get; }

    /// <summary>
    /// Reads <c>vnet.trust</c>; null when it is off. Missing or unreadable files are an error that
    /// names them: a node meant to be trusted never starts without its certificate.
    /// </summary>
    public static NodeTrust? Load(Config hocon, string hostName)
    {
        var mode = hocon.GetString("vnet.trust.mode", "mtls");
        if (mode == "off") return null;
        if (mode != "mtls") throw new PkiException($"vnet.trust.mode = '{mode}': expected mtls or off");
        var dir = hocon.GetString("vnet.trust.dir", "");
        if (string.IsNullOrEmpty(dir)) dir = "/etc/vnet/pki";
        string Path_(string key, string file) => hocon.GetString(key, "") is { Length: > 0 } p ? p : Path.Combine(dir, file);
        var caPath = Path_("vnet.trust.ca", ClusterPki.CaCertificateFile);
        var crt = Path_("vnet.trust.certificate", hostName + ".crt");
        var key = Path_("vnet.trust.key", hostName + ".key");
        var clusterKeyPath = Path_("vnet.trust.cluster-key", ClusterPki.ClusterKeyFile);
        if (!File.Exists(caPath) || !File.Exists(crt))
            throw new PkiException($"mutual TLS needs the cluster CA {caPath} and this node's certificate {crt} (make them with `vnet pki init` and `vnet pki issue {hostName}`; set vnet.trust.dir, or vnet.trust.mode = off on a machine you alone use)");
        var ca = ClusterPki.LoadCa(caPath);
        var certificate = ClusterPki.LoadCertificate(crt, key);
        if (!ClusterPki.IsIssuedBy(certificate, ca, out var why)) throw new PkiException($"{crt} is not issued by the cluster CA {caPath}: {why}");
        var clusterKey = File.Exists(clusterKeyPath) ? ClusterPki.LoadClusterKey(clusterKeyPath) : null;
        return new NodeTrust(certificate, ca, clusterKey, $"mutual TLS, CA {caPath}, certificate {crt}");
    }

    /// <summary>The HOCON that turns TLS on for Akka.Remote (the certificate itself comes through <see cref="SslSetup"/>).</summary>
    public static Config RemoteTlsConfig => ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true");

    /// <summary>
    /// Akka.Remote's TLS: this node's certificate, mutual authentication required, and a peer's
    /// certificate checked against the cluster's authority only (not the machine's CA store, which
    /// would let any publicly issued certificate in). Host names are not checked: nodes are reached
    /// by address and the authority is the cluster's own.
    /// </summary>
    public DotNettySslSetup SslSetup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, customValidator: Validate);

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter? log)
    {
        if (ClusterPki.IsIssuedBy(certificate, Authority, out var why)) return true;
        log?.Warning("refused TLS peer {0}: {1} ({2})", remotePeer, why, certificate?.Subject ?? "no certificate");
        return false;
    }
}
