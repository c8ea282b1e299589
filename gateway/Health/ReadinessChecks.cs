using Granary.Gateway.Hosting;
using Granary.Silo.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Granary.Gateway.Health;

/// <summary>
/// What /readyz asks: every health check tagged <see cref="Tag"/>. Others add theirs with
/// <c>services.AddHealthChecks().AddCheck&lt;MyCheck&gt;("name", tags: [ReadinessChecks.Tag], timeout: ReadinessChecks.Timeout)</c>;
/// a check that is not Healthy makes /readyz answer 503 naming it and its reason.
/// </summary>
public static class ReadinessChecks
{
    public const string Tag = "ready";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>cluster (joined, silos answer), storage (PostgreSQL reachable when configured) and, in the all-in-one,
    /// agents (at least one node registered and answering).</summary>
    public static IHostApplicationBuilder AddGranaryReadiness(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<ClusterReadinessCheck>("cluster", HealthStatus.Unhealthy, [Tag], Timeout)
            .AddCheck<StorageReadinessCheck>("storage", HealthStatus.Unhealthy, [Tag], Timeout);
        if (GatewayOptions.ModeFrom(builder.Configuration) == GatewayOptions.AllInOne)
        {
            checks.AddCheck<AgentsReadinessCheck>("agents", HealthStatus.Unhealthy, [Tag], Timeout);
        }
        builder.Services.AddSingleton(GranarySiloExtensions.ReadOptions(builder.Configuration));
        return builder;
    }
}
