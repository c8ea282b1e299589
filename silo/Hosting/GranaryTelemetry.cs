using Granary.Scheduling;
using Granary.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Granary.Silo.Hosting;

/// <summary>
/// Which meters Granary exports, and a silo's own /metrics. Each process exports what its own grains record: in the
/// all-in-one that is the gateway's /metrics; in a cluster every silo serves /metrics on Granary:Metrics:Port and
/// Prometheus scrapes each (see README: a gateway that gathered them would be one more hop and one more thing to
/// fail, and would hide which silo a figure comes from).
/// </summary>
public static class GranaryTelemetry
{
    public const string PortKey = "Granary:Metrics:Port";
    public const string HostKey = "Granary:Metrics:Host";

    public static MeterProviderBuilder AddGranaryMeters(this MeterProviderBuilder metrics)
    {
        GranaryMetrics.EnsureCreated();
        return metrics.AddMeter(GranaryMetrics.MeterName, SchedulerMetrics.MeterName);
    }

    /// <summary>The silo executable: /metrics at http://{Granary:Metrics:Host}:{Granary:Metrics:Port}/metrics when the
    /// port is set (host default localhost; "*" for every address).</summary>
    public static IHostApplicationBuilder AddGranarySiloMetrics(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(PortKey) is not { } port)
        {
            return builder;
        }
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddGranaryMeters()
            .AddPrometheusHttpListener(listener =>
            {
                listener.Host = builder.Configuration[HostKey] ?? "localhost";
                listener.Port = port;
            }));
        return builder;
    }
}
