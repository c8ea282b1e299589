using Granary.Silo.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Granary.Gateway.Health;

/// <summary>Storage reachable: with PostgreSQL (adonet clustering or grain storage) a connection opens and answers a
/// query; memory storage lives in the process and is always there.</summary>
public sealed class StorageReadinessCheck(GranaryHostOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Clustering != "adonet" && options.EffectiveGrainStorage != "adonet")
        {
            return HealthCheckResult.Healthy("memory storage in this process");
        }
        try
        {
            await using var connection = new NpgsqlConnection(options.Database.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL answers");
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The message names host and port at most; the connection string (and its password) is never shown.
            return HealthCheckResult.Unhealthy($"PostgreSQL is unreachable: {exception.Message}");
        }
    }
}
