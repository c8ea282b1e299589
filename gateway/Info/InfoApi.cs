using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Gateway.Agents;
using Granary.Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Granary.Gateway.Info;

/// <summary>GET /v1/info: what any signed-in user may know about the installation, e.g. that sessions are simulated.</summary>
public static class InfoApi
{
    public static IEndpointRouteBuilder MapInfoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/info", Get).WithTags("Operations").RequireAuthorization();
        return app;
    }

    public static async Task<Ok<InfoResponse>> Get(AgentSnapshots agents, IOptions<GatewayOptions> options)
    {
        var snapshots = (await agents.Fetch(await agents.Ids())).Select(a => a.Snapshot).OfType<AgentSnapshot>().ToArray();
        var runtimes = snapshots.Select(s => s.Runtime).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();
        var simulated = runtimes.Length > 0 && runtimes.All(r => string.Equals(r, AgentResponse.SimulatedRuntime, StringComparison.OrdinalIgnoreCase));
        var gpuNodes = snapshots.Where(s => s.Capacity.Gpus.Length > 0).ToArray();
        return TypedResults.Ok(new InfoResponse(options.Value.Mode, snapshots.Length, runtimes, simulated,
            gpuNodes.All(s => GpuEnforcement.Enforces(s.Capacity.EnforcementMode)),
            gpuNodes.Any(s => s.Capacity.GpuSource == "mock")));
    }
}

/// <summary>Agents: how many answer. Simulated: every one of them runs the simulated runtime (no real containers).
/// GpuFractionsEnforced: false when a node with GPUs only accounts for fractions (enforcement mode "none").
/// MockGpus: some node's GPUs are made up (a mock GPU file).</summary>
public sealed record InfoResponse(string Mode, int Agents, string[] Runtimes, bool Simulated, bool GpuFractionsEnforced, bool MockGpus);
