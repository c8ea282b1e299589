using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>One node's capacity and allocations, the single place that decides whether something fits.
/// Used by the scheduler's view and by the agent grain for its own truth.</summary>
public sealed class NodeState
{
    private readonly Dictionary<string, Allocation> _allocations;
    private long _usedCpuMilli;
    private long _usedMemoryBytes;

    /// <summary>Throws ArgumentException when the allocations do not fit the capacity (see TryApply).</summary>
    public NodeState(string agentId, AgentCapacity capacity, IEnumerable<Allocation> allocations)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentNullException.ThrowIfNull(capacity);
        ArgumentNullException.ThrowIfNull(allocations);
        AgentId = agentId;
        Capacity = capacity;
        Gpus = new GpuAllocationMap(capacity.Gpus ?? [], fractionsOnMigSlotsOnly: capacity.EnforcementMode == "mig");
        _allocations = new Dictionary<string, Allocation>(StringComparer.Ordinal);
        foreach (var allocation in allocations)
        {
            if (!TryReserve(allocation, out var reason))
                throw new ArgumentException($"Allocation of session {allocation.SessionId} does not fit agent {agentId}: {reason}.", nameof(allocations));
        }
    }

    private NodeState(NodeState other)
    {
        AgentId = other.AgentId;
        Capacity = other.Capacity;
        Gpus = other.Gpus.Clone();
        _allocations = new Dictionary<string, Allocation>(other._allocations, StringComparer.Ordinal);
        _usedCpuMilli = other._usedCpuMilli;
        _usedMemoryBytes = other._usedMemoryBytes;
        Schedulable = other.Schedulable;
        FoldersUnavailable = other.FoldersUnavailable;
        Version = other.Version;
    }

    public string AgentId { get; }
    public AgentCapacity Capacity { get; }

    /// <summary>The node's GPUs and who holds which share of them.</summary>
    public GpuAllocationMap Gpus { get; }

    /// <summary>False when the agent takes no new sessions (draining, cordoned).</summary>
    public bool Schedulable { get; set; } = true;

    /// <summary>Why the node cannot mount storage folders; null when it can.</summary>
    public string? FoldersUnavailable { get; set; }

    /// <summary>The version of the agent snapshot this view came from.</summary>
    public long Version { get; set; }

    public long FreeCpuMilli => Capacity.CpuMilli - _usedCpuMilli;
    public long FreeMemoryBytes => Capacity.MemoryBytes - _usedMemoryBytes;
    public int FreeGpuMilli => Gpus.FreeMilli;
    public IReadOnlyCollection<Allocation> Allocations => _allocations.Values;
    public bool IsEmpty => _allocations.Count == 0;

    public bool Holds(string sessionId) => _allocations.ContainsKey(sessionId);

    public Allocation? AllocationOf(string sessionId) => _allocations.GetValueOrDefault(sessionId);

    /// <summary>An independent copy of this node (for planning without touching the original).</summary>
    public NodeState Clone() => new(this);

    /// <summary>The milli-GPU a request needs on this node: 1000 per whole GPU, or ceil(FgpuMilli / FgpuPerGpu).</summary>
    public int GpuMilliFor(ResourceRequest request) => GpuMilliFor(request, Capacity.FgpuPerGpu);

    public static int GpuMilliFor(ResourceRequest request, int fgpuPerGpu)
    {
        // Absurd amounts saturate (and then fit nowhere) rather than overflow.
        if (request.Gpus > 0) return (int)Math.Min((long)request.Gpus * GpuAllocationMap.DeviceMilli, int.MaxValue);
        if (request.FgpuMilli <= 0) return 0;
        long perGpu = Math.Max(1, fgpuPerGpu);
        return (int)Math.Min(request.FgpuMilli / perGpu + (request.FgpuMilli % perGpu == 0 ? 0 : 1), int.MaxValue);
    }

    /// <summary>Whether the request's GPU part fits this node's devices now (true when it asks for no GPU).</summary>
    public bool CanFitGpu(ResourceRequest request)
    {
        if (request.MigProfile is { } profile) return Gpus.FindProfile(profile, request.GpuModels) is not null;
        if (request.Gpus > 0) return Gpus.CanFitWhole(request.Gpus, request.GpuModels);
        if (request.FgpuMilli > 0) return Gpus.CanFitFraction(GpuMilliFor(request), request.GpuModels);
        return true;
    }

    /// <summary>Whether the whole request fits this node now.</summary>
    public bool CanFit(ResourceRequest request) =>
        request.CpuMilli <= FreeCpuMilli && request.MemoryBytes <= FreeMemoryBytes && CanFitGpu(request);

    /// <summary>The GPU shares this node would give the request (empty when it asks for no GPU); null when they do not fit.</summary>
    public GpuShare[]? FindGpuShares(ResourceRequest request)
    {
        if (request.MigProfile is { } profile) return Gpus.FindProfile(profile, request.GpuModels);
        if (request.Gpus > 0) return Gpus.FindWhole(request.Gpus, request.GpuModels);
        if (request.FgpuMilli > 0) return Gpus.FindFraction(GpuMilliFor(request), request.GpuModels);
        return [];
    }

    /// <summary>Reserves exactly what the placement names; false (and a reason) when it does not fit now:
    /// another agent's placement, a session already here, negative amounts, CPU or memory over what is free,
    /// an unknown GPU, or a GPU share over what the device has free. Nothing changes on false.</summary>
    public bool TryApply(Placement placement, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(placement);
        if (!string.Equals(placement.AgentId, AgentId, StringComparison.Ordinal))
        {
            reason = $"placement is for agent {placement.AgentId}, not {AgentId}";
            return false;
        }
        return TryReserve(placement.ToAllocation(), out reason);
    }

    private bool TryReserve(Allocation allocation, out string? reason)
    {
        if (_allocations.ContainsKey(allocation.SessionId)) { reason = $"session {allocation.SessionId} already holds resources on {AgentId}"; return false; }
        if (allocation.CpuMilli < 0 || allocation.MemoryBytes < 0) { reason = "CPU and memory must not be negative"; return false; }
        if (allocation.CpuMilli > FreeCpuMilli) { reason = $"insufficient CPU on {AgentId}: needs {Format.Cores(allocation.CpuMilli)}, free {Format.Cores(FreeCpuMilli)}"; return false; }
        if (allocation.MemoryBytes > FreeMemoryBytes) { reason = $"insufficient memory on {AgentId}: needs {Format.Bytes(allocation.MemoryBytes)}, free {Format.Bytes(FreeMemoryBytes)}"; return false; }
        var gpus = allocation.Gpus ?? [];
        if (gpus.Length > 0 && !Gpus.TryAllocate(allocation.SessionId, gpus, out reason)) return false;

        _usedCpuMilli += allocation.CpuMilli;
        _usedMemoryBytes += allocation.MemoryBytes;
        _allocations[allocation.SessionId] = allocation;
        reason = null;
        return true;
    }

    /// <summary>Frees the session's allocation; no-op when the session holds nothing here.</summary>
    public void Release(string sessionId)
    {
        if (!_allocations.Remove(sessionId, out var allocation)) return;
        _usedCpuMilli -= allocation.CpuMilli;
        _usedMemoryBytes -= allocation.MemoryBytes;
        Gpus.Free(sessionId);
    }
}
