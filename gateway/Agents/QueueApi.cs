using Granary.Gateway.Auth;
using Granary.Gateway.Sessions;
using Granary.Scheduling;
using Granary.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Agents;

/// <summary>
/// GET /v1/queue, for admins: each resource group's pending sessions (the groups of the agents, and "default"), in
/// queue order, with why each still waits, its owner and since when.
/// </summary>
public static class QueueApi
{
    public static IEndpointRouteBuilder MapQueueApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/queue", List).WithTags("Agents").RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    public static async Task<Ok<QueueResponse[]>> List(AgentSnapshots agents, IGrainFactory grains)
    {
        var groups = (await agents.Fetch(await agents.Ids()))
            .Select(a => a.Snapshot?.ResourceGroup).OfType<string>()
            .Append(CreateSessionValidator.DefaultResourceGroup)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var queues = await Task.WhenAll(groups.Select(async group =>
        {
            var status = await grains.GetGrain<ISchedulerGrain>(group).GetStatus();
            var sessions = await Task.WhenAll(status.Pending.Select(p => grains.GetGrain<ISessionGrain>(p.SessionId).Get()));
            return new QueueResponse(status.ResourceGroup, status.Policy, status.Agents, [.. status.Pending.Select((p, i) =>
                new PendingResponse(p.SessionId, sessions[i]?.Spec.Name, sessions[i]?.Spec.Owner, p.Reason, p.Skips, sessions[i]?.CreatedAt))]);
        }));
        return TypedResults.Ok(queues);
    }
}

public sealed record QueueResponse(string ResourceGroup, string Policy, int Agents, PendingResponse[] Pending);

/// <summary>One waiting session: reason says why it is not placed yet; skips, how often later sessions went first.</summary>
public sealed record PendingResponse(string SessionId, string? Name, string? Owner, string? Reason, int Skips, DateTimeOffset? CreatedAt);
