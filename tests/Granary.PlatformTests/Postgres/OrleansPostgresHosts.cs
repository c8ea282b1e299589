using System.Net;
using System.Net.Sockets;
using Granary.Silo.Adapters.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Granary.PlatformTests.Postgres;

/// <summary>
/// Silos and clients wired to PostgreSQL exactly as a Granary deployment is: ADO.NET clustering,
/// grain storage and reminders, all with the "Npgsql" invariant and one connection string, pooled as Granary
/// pools it (PostgresPooling: no reset between uses, statements kept prepared).
/// </summary>
public static class OrleansPostgresHosts
{
    public const string Invariant = "Npgsql";
    public const string StorageName = "granary";

    public static async Task<IHost> StartSiloAsync(string connectionString, string clusterId, string siloName)
    {
        connectionString = PostgresPooling.ConnectionString(connectionString);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = clusterId;
            });
            silo.Configure<SiloOptions>(options => options.SiloName = siloName);
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
            silo.UseAdoNetClustering(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(StorageName, options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
            silo.UseAdoNetReminderService(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>An external client (as the gateway is) that finds the silos' gateways in the membership table.</summary>
    public static async Task<IHost> StartClientAsync(string connectionString, string clusterId)
    {
        connectionString = PostgresPooling.ConnectionString(connectionString);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = clusterId;
            });
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
