using System.Security.Cryptography.X509Certificates;

namespace Granary.Silo.Hosting;

/// <summary>Loads a process's cluster certificate and decides whether a peer's certificate is the cluster's.</summary>
public static class ClusterCertificates
{
    /// <summary>This process's certificate with its private key, and the cluster CA.</summary>
    public static (X509Certificate2 Local, X509Certificate2 Ca) Load(ClusterTlsOptions options)
    {
        options.Validate();
        using var pem = X509Certificate2.CreateFromPemFile(options.CertificatePath!, options.KeyPath!);
        // SslStream on Linux needs the key in an exportable, non-ephemeral form: round-trip through PKCS#12.
        var local = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        var ca = X509CertificateLoader.LoadCertificateFromFile(options.CaPath!);
        return (local, ca);
    }

    /// <summary>True when <paramref name="peer"/> is valid now and chains to <paramref name="ca"/> and nothing
    /// else: the machine's trusted roots play no part, and host names do not matter (silos are reached by
    /// address; what authenticates them is the CA's signature).</summary>
    public static bool IsIssuedBy(X509Certificate2 peer, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(peer))
        {
            return false;
        }
        var root = chain.ChainElements[^1].Certificate;
        return root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span);
    }
}
