using Granary.Agents;
using Granary.Devices;
using Granary.Gateway.Auth;
using Granary.Gateway.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Granary.Gateway.Agents;

/// <summary>REST v1 GPUs, for admins: every device's live view (share map, utilisation, memory, processes with their
/// sessions, whether fractions are enforced, whether it is a mock), read from the agent that owns it.</summary>
public static class GpusApi
{
    public static IEndpointRouteBuilder MapGpusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/gpus", List).WithTags("Agents").RequireAuthorization(Roles.AdminPolicy);
        app.MapGet("/v1/agents/{id}/gpus", OfAgent).WithTags("Agents").RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    /// <summary>Every GPU of every agent that answers (an unreachable agent's GPUs are left out; /v1/agents says which).</summary>
    public static async Task<Ok<GpuResponse[]>> List(AgentSnapshots agents, IGrainFactory grains, ILogger<AgentSnapshots> logger)
    {
        var views = await Task.WhenAll((await agents.Ids()).Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IAgentGrain>(id).GetGpus().WaitAsync(AgentSnapshots.Patience);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or OrleansException or SiloUnavailableException)
            {
                logger.LogWarning(e, "GPUs of agent {AgentId} left out: it did not answer.", id);
                return [];
            }
        }));
        return TypedResults.Ok(views.SelectMany(v => v).OrderBy(v => v.AgentId, StringComparer.Ordinal)
            .ThenBy(v => v.Device.Index).ThenBy(v => v.Device.Uuid, StringComparer.Ordinal).Select(GpuResponse.From).ToArray());
    }

    public static async Task<Results<Ok<GpuResponse[]>, ProblemHttpResult>> OfAgent(string id, AgentSnapshots agents, IGrainFactory grains)
    {
        if (!(await agents.Ids()).Contains(id, StringComparer.Ordinal))
        {
            return Problems.NotFound("agent", id);
        }
        var views = await grains.GetGrain<IAgentGrain>(id).GetGpus().WaitAsync(AgentSnapshots.Patience);
        return TypedResults.Ok(views.OrderBy(v => v.Device.Index).ThenBy(v => v.Device.Uuid, StringComparer.Ordinal).Select(GpuResponse.From).ToArray());
    }
}

/// <summary>
/// One GPU or MIG instance (parent and migProfile set). sms and computeCapability are null when unknown; shares and
/// allocated are fractions of the device (a MIG instance is held whole: 1; what that is of its GPU is the session's
/// gpus[].share); utilizationPercent, memoryUsed and processes are null when the source has
/// no live metrics (configured GPUs); a process's session is null when it runs outside this node's sessions.
/// source: "nvml", "mock" (made up, mock: true) or "configured"; enforced: false when the node's enforcementMode is
/// "none" (fractions are accounted, not enforced).
/// </summary>
public sealed record GpuResponse(
    string Uuid,
    string Model,
    long Memory,
    int Index,
    int? Sms,
    string? ComputeCapability,
    string? Parent,
    string? MigProfile,
    string Agent,
    string Source,
    bool Mock,
    string EnforcementMode,
    bool Enforced,
    decimal Allocated,
    Dictionary<string, decimal> Shares,
    int? UtilizationPercent,
    long? MemoryUsed,
    GpuProcessResponse[]? Processes,
    DateTimeOffset? SampledAt)
{
    public static GpuResponse From(GpuDeviceView view)
    {
        var device = view.Device;
        var holds = (decimal)MigSlots.SlotMilli(device);
        return new GpuResponse(
            device.Uuid, device.Model, device.MemoryBytes, device.Index, device.Sms > 0 ? device.Sms : null, device.ComputeCapability,
            device.Parent, device.MigProfile, view.AgentId, view.Source, view.Source == "mock", view.EnforcementMode, view.Enforced,
            view.Shares.Values.Sum() / holds, view.Shares.ToDictionary(s => s.Key, s => s.Value / holds),
            view.UtilizationPercent, view.MemoryUsedBytes,
            view.Processes?.Select(p => new GpuProcessResponse(p.Pid, p.UsedMemoryBytes, p.SessionId)).ToArray(),
            view.SampledAt);
    }
}

public sealed record GpuProcessResponse(int Pid, long Memory, string? Session);
