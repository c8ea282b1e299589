using Granary.Agents;
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
        var fgpuPerGpu = snapshots.Where(s => s.Capacity.Gpus.Length > 0).Select(s => s.Capacity.FgpuPerGpu).Distinct().Order().ToArray();
        return TypedResults.Ok(new InfoResponse(options.Value.Mode, snapshots.Length, runtimes, simulated, fgpuPerGpu));
    }
}

/// <summary>
/// Agents: how many answer. Simulated: every one of them runs the simulated runtime (no real containers). FgpuPerGpu:
/// how many fGPU one GPU holds on the nodes that have GPUs (one value on most clusters: 5 means 1 fGPU = 0.2 GPU).
/// </summary>
public sealed record InfoResponse(string Mode, int Agents, string[] Runtimes, bool Simulated, int[] FgpuPerGpu);
