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

    public static async Task<Ok<AgentResponse[]>> List(AgentSnapshots agents)
    {
        var answers = await agents.Fetch(await agents.Ids());
        return TypedResults.Ok(answers.OrderBy(a => a.Id, StringComparer.Ordinal).Select(AgentResponse.From).ToArray());
    }

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> Get(string id, AgentSnapshots agents)
    {
        // Only known agents: activating an agent grain for an unknown node id has no silo to live on.
        if (!(await agents.Ids()).Contains(id, StringComparer.Ordinal))
        {
            return Problems.NotFound("agent", id);
        }

        return TypedResults.Ok(AgentResponse.From(await agents.Fetch(id)));
    }
}
