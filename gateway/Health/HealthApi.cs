using Granary.Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Health;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Health).WithTags("Operations").AllowAnonymous();
        return app;
    }

    /// <summary>The process is up and answers requests. Mode: "all-in-one" or "client".</summary>
    public static Ok<HealthResponse> Health(IOptions<GatewayOptions> options)
        => TypedResults.Ok(new HealthResponse("ok", options.Value.Mode));
}

public sealed record HealthResponse(string Status, string Mode);
