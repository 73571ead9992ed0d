using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using VNet.Client;
using VNet.Host.Trust;

namespace VNet.Host.Console;

/// <summary>The TLS step of the `vnet` client for a remote console, with the cluster's PKI directory.</summary>
public static class ConsolePki
{
    /// <summary>
    /// TLS to a node's console off loopback: the node must show a certificate of the cluster's
    /// authority (the PKI directory's ca.crt), and the client shows its own (NAME.crt/NAME.key).
    /// </summary>
    public static async Task<Stream> AuthenticateAsync(Stream plain, ConsoleEndpoint endpoint, CancellationToken cancel)
    {
        X509Certificate2 ca, mine;
        try
        {
            ca = ClusterPki.LoadCa(Path.Combine(endpoint.PkiDirectory, ClusterPki.CaCertificateFile));
            mine = ClusterPki.LoadCertificate(Path.Combine(endpoint.PkiDirectory, endpoint.CertificateName + ".crt"), Path.Combine(endpoint.PkiDirectory, endpoint.CertificateName + ".key"));
        }
        catch (PkiException e)
        {
            await plain.DisposeAsync();
            throw new CommandException($"{endpoint} is a remote console (TLS with a client certificate): {e.Message} (issue one with `vnet pki issue {endpoint.CertificateName}`; --pki DIR, --cert NAME)", ExitCodes.Usage);
        }
        string? why = null;
        var ssl = new SslStream(plain, false, (_, cert, _, _) => ClusterPki.IsIssuedBy(cert as X509Certificate2, ca, out why));
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = endpoint.Host,
                ClientCertificates = [mine],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cancel);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync();
            throw new CommandException($"TLS with {endpoint} failed: {why ?? e.Message}", ExitCodes.Unreachable);
        }
    }
}
