using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Granary.Silo.Hosting;

/// <summary>Joins a Granary cluster as a client, for a gateway that runs as a separate process.</summary>
public static class GranaryClientExtensions
{
    /// <summary>Reads Granary:Clustering, ClusterId, ServiceId, GatewayPort (localhost) and
    /// Database:ConnectionString (adonet), the same keys the silos use.</summary>
    public static IHostApplicationBuilder AddGranaryClient(this IHostApplicationBuilder builder)
    {
        var options = GranarySiloExtensions.ReadOptions(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.AddDashboard();
            client.UseGranaryTls(options.Tls);
            if (options.Clustering == "adonet")
            {
                client.UseAdoNetClustering(clustering =>
                {
                    clustering.Invariant = "Npgsql";
                    clustering.ConnectionString = options.Database.ConnectionString;
                });
                client.Configure<ClusterOptions>(cluster =>
                {
                    cluster.ClusterId = options.ClusterId;
                    cluster.ServiceId = options.ServiceId;
                });
            }
            else
            {
                client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
            }
        });
        return builder;
    }
}
