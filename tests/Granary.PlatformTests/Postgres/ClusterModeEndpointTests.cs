using System.Net;
using System.Net.Sockets;
using Granary.PlatformTests.Infrastructure;
using Granary.Silo.Hosting;
using Granary.Silo.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Granary.PlatformTests.Postgres;

/// <summary>A Granary silo in cluster mode (adonet clustering, as granary-silo runs it) listens for silos and clients
/// only on the address it advertises, not on every address of its host: so a session container, whose way out is its
/// bridge's address on the node, finds no Orleans port there.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterModeEndpointTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_cluster_mode_silo_binds_its_ports_to_its_advertised_address_only()
    {
        var database = await postgres.CreateDatabaseAsync();
        await SqlMigrator.ApplyAsync(database, EmbeddedMigrations.Load());
        var advertised = IPAddress.Parse($"127.0.0.{Random.Shared.Next(50, 250)}");
        var (siloPort, gatewayPort) = (FreePort(advertised), FreePort(advertised));

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Granary:Roles"] = "manager",
            ["Granary:Clustering"] = "adonet",
            ["Granary:ClusterId"] = "endpoints-" + Guid.NewGuid().ToString("N")[..8],
            ["Granary:Database:ConnectionString"] = database,
            ["Granary:AdvertisedIp"] = advertised.ToString(),
            ["Granary:SiloPort"] = siloPort.ToString(),
            ["Granary:GatewayPort"] = gatewayPort.ToString(),
        });
        builder.AddGranarySilo();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            foreach (var port in new[] { siloPort, gatewayPort })
            {
                Assert.True(await Connects(advertised, port), $"port {port} answers on the advertised {advertised}");
                Assert.False(await Connects(IPAddress.Loopback, port), $"port {port} does not answer on 127.0.0.1");
            }
            var listening = File.ReadAllLines("/proc/net/tcp").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f[3] == "0A").Select(f => f[1]).ToArray();
            foreach (var port in new[] { siloPort, gatewayPort })
                Assert.DoesNotContain($"00000000:{port:X4}", listening); // nothing on 0.0.0.0
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<bool> Connects(IPAddress address, int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
