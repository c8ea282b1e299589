using Orleans.Connections.Security;

namespace Granary.Silo.Hosting;

/// <summary>
/// Mutual TLS on Orleans' connections when Granary:Tls is set: each side presents its cluster certificate and
/// accepts the other's only if it chains to the cluster CA. Without it, whoever reaches a silo's ports can call
/// any grain, so a cluster whose silo or gateway ports are reachable from a shared network must set it.
/// </summary>
public static class ClusterTls
{
    public static ISiloBuilder UseGranaryTls(this ISiloBuilder silo, ClusterTlsOptions options)
    {
        if (options.Enabled)
        {
            var (local, ca) = ClusterCertificates.Load(options);
            silo.UseTls(local, tls => Configure(tls, ca));
        }
        return silo;
    }

    public static IClientBuilder UseGranaryTls(this IClientBuilder client, ClusterTlsOptions options)
    {
        if (options.Enabled)
        {
            var (local, ca) = ClusterCertificates.Load(options);
            client.UseTls(local, tls => Configure(tls, ca));
        }
        return client;
    }

    private static void Configure(TlsOptions tls, System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // Decides alone (Orleans then ignores the platform's verdict, which knows nothing of the cluster CA).
        tls.RemoteCertificateValidation = (certificate, _, _) => ClusterCertificates.IsIssuedBy(certificate, ca);
        tls.OnAuthenticateAsClient = (_, authentication) => authentication.TargetHost = "granary";
    }
}
