using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Granary.Gateway.Health;

/// <summary>Joined the cluster: the management grain answers through this process's silo or client and lists at
/// least one active silo.</summary>
public sealed class ClusterReadinessCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("no active silo in the cluster");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the cluster does not answer: {exception.Message}");
        }
    }
}
