namespace Granary.Silo.Hosting;

/// <summary>
/// The "Granary:Tls" section: PEM files for mutual TLS on every Orleans connection (silo to silo, gateway client
/// to silo). Every process of a cluster gets its own certificate and key, issued by the cluster's own CA;
/// a peer is accepted only if its certificate chains to that CA. <c>deploy/scripts/cluster-certs.sh</c> makes them.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>This process's certificate (PEM), usable for both server and client authentication.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Its private key (PEM).</summary>
    public string? KeyPath { get; set; }

    /// <summary>The cluster CA's certificate (PEM): the one issuer peers must chain to.</summary>
    public string? CaPath { get; set; }

    public bool Enabled => CertificatePath is not null || KeyPath is not null || CaPath is not null;

    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }
        foreach (var (key, path) in new[] { ("CertificatePath", CertificatePath), ("KeyPath", KeyPath), ("CaPath", CaPath) })
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new InvalidOperationException($"Granary:Tls:{key} is required when any Granary:Tls path is set.");
            }
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Granary:Tls:{key}: no file at '{path}'.");
            }
        }
    }
}
