using Granary.Agents;
using Granary.Gateway.Auth;
using Granary.Gateway.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Agents;

/// <summary>REST v1 agents, for admins: every node with capacity, allocations and GPU share maps.</summary>
public static class AgentsApi
{
    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/agents").WithTags("Agents").RequireAuthorization(Roles.AdminPolicy);
        group.MapGet("/", List);
        group.MapGet("/{id}", Get);
        return app;
    }

    public static async Task<Ok<AgentResponse[]>> List(IGrainFactory grains)
    {
        var ids = await grains.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List();
        var snapshots = await Task.WhenAll(ids.Select(id => grains.GetGrain<IAgentGrain>(id).GetSnapshot()));
        return TypedResults.Ok(snapshots.OrderBy(s => s.AgentId, StringComparer.Ordinal).Select(AgentResponse.From).ToArray());
    }

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> Get(string id, IGrainFactory grains)
    {
        // Only known agents: activating an agent grain for an unknown node id has no silo to live on.
        var ids = await grains.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).List();
        if (!ids.Contains(id, StringComparer.Ordinal))
        {
            return Problems.NotFound("agent", id);
        }

        var snapshot = await grains.GetGrain<IAgentGrain>(id).GetSnapshot();
        return TypedResults.Ok(AgentResponse.From(snapshot));
    }
}
