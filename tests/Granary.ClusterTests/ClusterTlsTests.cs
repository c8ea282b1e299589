using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Granary.ClusterTests;

/// <summary>
/// Mutual TLS on Orleans' ports (Granary:Tls), with certificates from deploy/scripts/cluster-certs.sh: a client
/// holding a certificate of the cluster's CA calls grains; one with another CA's certificate, one without TLS and
/// a bare TLS handshake without a certificate get nothing, on the gateway port and on the silo-to-silo port.
/// </summary>
public sealed class ClusterTlsTests(TlsSilo silo) : IClassFixture<TlsSilo>
{
    private static readonly TimeSpan Bound = TlsSilo.Bound;
    private static readonly TimeSpan NoConnection = TimeSpan.FromSeconds(20);
    private readonly string _dir = silo.Directory;

    [Fact]
    public async Task A_client_with_the_clusters_certificate_calls_grains()
    {
        using var client = await StartClient(silo.Tls("cluster", "gateway"), Bound);
        var hosts = await client.Services.GetRequiredService<IClusterClient>()
            .GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(Bound);
        Assert.Single(hosts);
    }

    // Orleans' client keeps retrying a gateway that ends its handshakes, so a refused client shows as one that has
    // not connected within NoConnection; a cluster that accepted it would have it connected in about a second.
    [Fact]
    public async Task A_client_with_another_CAs_certificate_cannot_connect()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () => (await StartClient(silo.Tls("foreign", "intruder"), NoConnection)).Dispose());
    }

    [Fact]
    public async Task A_client_without_TLS_cannot_connect()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () => (await StartClient([], NoConnection)).Dispose());
    }

    [Fact]
    public async Task A_TLS_handshake_without_a_certificate_gets_no_Orleans_conversation_on_either_port()
    {
        foreach (var port in new[] { silo.GatewayPort, silo.SiloPort })
        {
            Assert.False(await TalksWithoutCertificate(port), $"port {port} talked to a peer without a certificate");
        }
    }

    [Fact]
    public void Only_certificates_of_the_cluster_CA_are_its_peers()
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, "cluster", "ca.pem"));
        var own = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, "cluster", "gateway.pem"));
        var foreign = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, "foreign", "intruder.pem"));
        var foreignCa = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, "foreign", "ca.pem"));
        Assert.True(ClusterCertificates.IsIssuedBy(own, ca));
        Assert.False(ClusterCertificates.IsIssuedBy(foreign, ca));
        Assert.False(ClusterCertificates.IsIssuedBy(foreignCa, ca));
    }

    [Fact]
    public void A_partial_TLS_configuration_is_refused_at_start()
    {
        var options = new ClusterTlsOptions { CertificatePath = Path.Combine(_dir, "cluster", "gateway.pem") };
        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("Granary:Tls:KeyPath", error.Message, StringComparison.Ordinal);
    }

    private async Task<IHost> StartClient(Dictionary<string, string?> tls, TimeSpan bound)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(silo.Settings(tls));
        builder.AddGranaryClient();
        var client = builder.Build();
        try
        {
            await client.StartAsync().WaitAsync(bound);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>True if the port, after a TLS handshake in which we show no certificate, sends us anything.</summary>
    private static async Task<bool> TalksWithoutCertificate(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) => certificate is not null); // the attacker trusts anything
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "granary" }).WaitAsync(Bound);
            await tls.WriteAsync(new byte[64]);
            var buffer = new byte[64];
            return await tls.ReadAsync(buffer).AsTask().WaitAsync(Bound) > 0;
        }
        catch (Exception exception) when (exception is IOException or System.Security.Authentication.AuthenticationException)
        {
            return false; // the silo ended the handshake or the connection: refused
        }
    }
}
