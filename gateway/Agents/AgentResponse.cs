using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Gateway.Sessions;

namespace Granary.Gateway.Agents;

/// <summary>
/// A node as admins see it: capacity, what is allocated and free, each GPU with its share map (session id → share),
/// the container runtime ("simulated" means sessions do not run real containers) and the last heartbeat.
/// An agent that does not answer is listed with reachable false, the error, and nulls for what it would have said.
/// Status is the node's liveness: "alive", "lost" (silent for Granary:Agent:LostAfter; nothing new is placed on it),
/// "expired" (not back within Granary:Agent:LostGrace; its sessions ended agent-lost) or "unknown" (no heartbeat yet);
/// LastHeartbeat is then the managers' last word from it. FoldersUnavailable says why the node cannot mount storage
/// folders (its folder root is not the cluster's shared storage), so it takes no session that mounts one.
/// </summary>
public sealed record AgentResponse(
    string Id,
    bool Reachable,
    string? Error,
    string Status,
    DateTimeOffset? LostSince,
    string? ResourceGroup,
    string? Runtime,
    bool Simulated,
    bool Schedulable,
    string? FoldersUnavailable,
    DateTimeOffset? LastHeartbeat,
    CapacityResponse? Capacity,
    UsageResponse? Allocated,
    UsageResponse? Free,
    AgentGpuResponse[] Gpus,
    AllocationResponse[] Allocations,
    string[] Images)
{
    public const string SimulatedRuntime = "simulated";

    public const string UnknownStatus = "unknown";

    public static AgentResponse From(AgentAnswer answer)
        => answer.Snapshot is { } snapshot
            ? From(snapshot, answer.Liveness)
            : new AgentResponse(answer.Id, false, answer.Error, answer.Liveness?.Status ?? UnknownStatus, answer.Liveness?.LostSince,
                null, null, false, false, null, answer.Liveness?.LastHeartbeat, null, null, null, [], [], []);

    public static AgentResponse From(AgentSnapshot snapshot, AgentLiveness? liveness = null)
    {
        var capacity = snapshot.Capacity;
        var cpu = snapshot.Allocations.Sum(a => a.CpuMilli);
        var memory = snapshot.Allocations.Sum(a => a.MemoryBytes);
        var gpuMilli = snapshot.Allocations.SelectMany(a => a.Gpus).Sum(g => (long)g.Milli);
        var gpus = capacity.Gpus
            .OrderBy(g => g.Index)
            .Select(device =>
            {
                var shares = snapshot.Allocations
                    .SelectMany(a => a.Gpus.Where(g => g.Uuid == device.Uuid).Select(g => (a.SessionId, g.Milli)))
                    .GroupBy(s => s.SessionId)
                    .ToDictionary(s => s.Key, s => s.Sum(x => x.Milli) / 1000m);
                return new AgentGpuResponse(device.Uuid, device.Model, device.MemoryBytes, device.Index, shares.Values.Sum(), shares);
            })
            .ToArray();

        return new AgentResponse(
            snapshot.AgentId,
            true,
            null,
            liveness?.Status ?? UnknownStatus,
            liveness?.LostSince,
            snapshot.ResourceGroup,
            snapshot.Runtime,
            string.Equals(snapshot.Runtime, SimulatedRuntime, StringComparison.OrdinalIgnoreCase),
            snapshot.Schedulable,
            snapshot.FoldersUnavailable,
            liveness is null ? snapshot.At : liveness.LastHeartbeat > snapshot.At ? liveness.LastHeartbeat : snapshot.At,
            new CapacityResponse(capacity.CpuMilli / 1000m, capacity.MemoryBytes, capacity.Gpus.Length, capacity.FgpuPerGpu, capacity.EnforcementMode,
                GpuEnforcement.Enforces(capacity.EnforcementMode), capacity.GpuSource),
            new UsageResponse(cpu / 1000m, memory, gpuMilli / 1000m),
            new UsageResponse((capacity.CpuMilli - cpu) / 1000m, capacity.MemoryBytes - memory, capacity.Gpus.Length - gpuMilli / 1000m),
            gpus,
            [.. snapshot.Allocations.Select(a => new AllocationResponse(
                a.SessionId, a.CpuMilli / 1000m, a.MemoryBytes, [.. a.Gpus.Select(GpuShareResponse.From)]))],
            snapshot.Images);
    }
}

/// <summary>cpu in cores, memory in bytes, gpu: number of devices; fgpuPerGpu: fGPU units one device holds;
/// gpuEnforced: false when enforcementMode is "none" (fractions accounted, not enforced); gpuSource: "configured",
/// "nvml" or "mock" (made-up GPUs).</summary>
public sealed record CapacityResponse(decimal Cpu, long Memory, int Gpu, int FgpuPerGpu, string EnforcementMode, bool GpuEnforced, string GpuSource);

/// <summary>cpu in cores, memory in bytes, gpu in devices (fractions included: 1.5 = one and a half devices).</summary>
public sealed record UsageResponse(decimal Cpu, long Memory, decimal Gpu);

/// <summary>One device; allocated and shares as fractions of the device.</summary>
public sealed record AgentGpuResponse(string Uuid, string Model, long Memory, int Index, decimal Allocated, Dictionary<string, decimal> Shares);

public sealed record AllocationResponse(string SessionId, decimal Cpu, long Memory, GpuShareResponse[] Gpus);
