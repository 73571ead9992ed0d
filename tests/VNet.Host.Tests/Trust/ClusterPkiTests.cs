using System.Net;
using VNet.Host.Trust;

namespace VNet.Host.Tests.Trust;

/// <summary>The cluster's authority: what it issues is trusted, nothing else is.</summary>
public sealed class ClusterPkiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vnet-pki-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Issued_certificate_chains_to_its_authority_only()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        ClusterPki.Init(a, "a");
        ClusterPki.Init(b, "b");
        var crt = ClusterPki.Issue(a, "h1", [IPAddress.Parse("192.0.2.10")]);
        using var cert = ClusterPki.LoadCertificate(crt, Path.ChangeExtension(crt, ".key"));
        Assert.True(cert.HasPrivateKey);
        using var caA = ClusterPki.LoadCa(Path.Combine(a, ClusterPki.CaCertificateFile));
        using var caB = ClusterPki.LoadCa(Path.Combine(b, ClusterPki.CaCertificateFile));
        Assert.True(ClusterPki.IsIssuedBy(cert, caA, out var why), why);
        Assert.False(ClusterPki.IsIssuedBy(cert, caB, out why));
        Assert.NotEmpty(why);
        Assert.False(ClusterPki.IsIssuedBy(null, caA, out why));
        // An authority is not a node certificate either.
        Assert.Equal("CN=h1, O=VNet", cert.Subject);
    }

    [Fact]
    public void Self_signed_certificate_with_the_same_subject_is_not_trusted()
    {
        ClusterPki.Init(_dir, "c");
        using var ca = ClusterPki.LoadCa(Path.Combine(_dir, ClusterPki.CaCertificateFile));
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(ca.Subject, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var forged = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(ClusterPki.IsIssuedBy(forged, ca, out _));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Private_keys_are_root_only_and_init_never_overwrites()
    {
        ClusterPki.Init(_dir, "c");
        ClusterPki.Issue(_dir, "h1", []);
        foreach (var f in new[] { "ca.key", "cluster.key", "h1.key" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, f)));
        var e = Assert.Throws<PkiException>(() => ClusterPki.Init(_dir, "c"));
        Assert.Contains("ca.crt exists", e.Message);
        Assert.Equal(32, ClusterPki.LoadClusterKey(Path.Combine(_dir, ClusterPki.ClusterKeyFile)).Length);
    }

    [Fact]
    public void Issue_without_authority_or_with_a_bad_name_names_the_problem()
    {
        Assert.Contains("vnet pki init", Assert.Throws<PkiException>(() => ClusterPki.Issue(_dir, "h1", [])).Message);
        ClusterPki.Init(_dir, "c");
        Assert.Contains("'../x'", Assert.Throws<PkiException>(() => ClusterPki.Issue(_dir, "../x", [])).Message);
    }
}
