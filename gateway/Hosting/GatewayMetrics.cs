using Granary.Silo.Hosting;
using OpenTelemetry.Metrics;

namespace Granary.Gateway.Hosting;

/// <summary>/metrics (Prometheus text, no key needed): Granary's meters (the in-process silo's grains in the
/// all-in-one) and the gateway's HTTP requests as granary_http_server_request_duration_seconds by route, method and
/// status code (its _count is the request rate, status_code 5xx the errors), and the .NET runtime's (System.Runtime:
/// e.g. dotnet_gc_last_collection_heap_size_bytes, the managed heap after the last GC, which the soak follows).</summary>
public static class GatewayMetrics
{
    public const string Path = "/metrics";

    public static IHostApplicationBuilder AddGranaryMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddGranaryMeters()
            .AddMeter("Microsoft.AspNetCore.Hosting")
            .AddMeter("System.Runtime")
            .AddView("http.server.request.duration", new MetricStreamConfiguration
            {
                Name = "granary_http_server_request_duration_seconds",
                TagKeys = ["http.route", "http.request.method", "http.response.status_code"],
            })
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    public static IEndpointRouteBuilder MapGranaryMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(Path).AllowAnonymous();
        return app;
    }
}
