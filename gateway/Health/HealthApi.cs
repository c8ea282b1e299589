using Granary.Gateway.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Health;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Health).WithTags("Operations").AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadinessChecks.Tag),
            ResponseWriter = WriteReadiness,
        }).WithTags("Operations").AllowAnonymous();
        return app;
    }

    /// <summary>The process is up and answers requests. Mode: "all-in-one" or "client".</summary>
    public static Ok<HealthResponse> Health(IOptions<GatewayOptions> options)
        => TypedResults.Ok(new HealthResponse("ok", options.Value.Mode));

    /// <summary>200 {status: "ready", checks} when every readiness check passes; otherwise 503 problem+json whose
    /// detail names the failing checks and why, with every check's outcome in "checks".</summary>
    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        var checks = report.Entries.ToDictionary(
            e => e.Key,
            e => new ReadinessCheckResponse(e.Value.Status == HealthStatus.Healthy ? "ok" : "failing", e.Value.Description ?? e.Value.Exception?.Message));
        if (report.Status == HealthStatus.Healthy)
        {
            return context.Response.WriteAsJsonAsync(new ReadinessResponse("ready", checks));
        }
        var failing = checks.Where(c => c.Value.Status != "ok").Select(c => $"{c.Key}: {c.Value.Description}");
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Not ready",
            Detail = string.Join("; ", failing),
            Extensions = { ["checks"] = checks },
        };
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}

public sealed record HealthResponse(string Status, string Mode);

public sealed record ReadinessResponse(string Status, IReadOnlyDictionary<string, ReadinessCheckResponse> Checks);

/// <summary>One readiness check: "ok" or "failing", and what it found.</summary>
public sealed record ReadinessCheckResponse(string Status, string? Description);
