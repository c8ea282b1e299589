using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Granary.Silo.Hosting;

/// <summary>Joins a Granary cluster as a client, for a gateway that runs as a separate process.</summary>
public static class GranaryClientExtensions
{
    /// <summary>Reads Granary:Clustering, ClusterId, ServiceId, GatewayPort (localhost) and
    /// Database:ConnectionString (adonet), the same keys the silos use. A call the cluster does not answer within
    /// responseTimeout fails with a TimeoutException (Orleans' default, 30 s, would hold a request that long when
    /// the silo it went to died).</summary>
    public static IHostApplicationBuilder AddGranaryClient(this IHostApplicationBuilder builder, TimeSpan responseTimeout)
    {
        var options = GranarySiloExtensions.ReadOptions(builder.Configuration);
        builder.Logging.AddGranaryConsole(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.AddDashboard();
            client.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = responseTimeout);
            // A manager the others declared dead leaves this client's gateway list at the next refresh; Orleans'
            // default minute would route calls to a stalled (not closed) connection that long.
            client.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
            client.UseGranaryTls(options.Tls);
            if (options.Clustering == "adonet")
            {
                client.UseAdoNetClustering(clustering =>
                {
                    clustering.Invariant = "Npgsql";
                    clustering.ConnectionString = options.Database.PooledConnectionString;
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
