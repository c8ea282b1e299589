using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Follows a <see cref="WorkloadPlan"/>: a request takes an open slot of its kind where one is (the first such node
/// in the scheduler's order). Without one it goes outside the plan: whole GPUs on the node with the fewest whole
/// GPUs (devices planned for shares first), a share by best fit on one device (a GPU in use while the
/// <see cref="PlanHold"/> holds), and a request without GPUs where the plan leaves the most CPU and memory.
/// docs/scheduling.md ("Following the best packing online") measures it.
/// </summary>
public sealed class PlanScorer(WorkloadPlan plan, PlanHold hold) : INodeScorer
{
    /// <summary>Above every score outside the plan.</summary>
    private const double InSlot = 1e12;

    public double Score(NodeState node, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        var nodePlan = plan.For(node.AgentId);
        if (nodePlan?.OpenSlot(node, request) is not null) return InSlot;
        if (!request.WantsGpu)
        {
            var (cpu, memory) = nodePlan?.Unfilled(node) ?? (0, 0);
            return Math.Min(node.FreeCpuMilli - Math.Max(0, cpu) - request.CpuMilli,
                ((node.FreeMemoryBytes - Math.Max(0, memory) - request.MemoryBytes) >> 20) * 10);
        }
        if (request.Gpus > 0) return -node.Gpus.CountFullyFree(request.GpuModels);
        return BestDevice(node, request) is var (_, left) && left >= 0 ? -left : double.NegativeInfinity;
    }

    public GpuShare[]? Shares(NodeState node, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        var nodePlan = plan.For(node.AgentId);
        if (nodePlan?.OpenSlot(node, request) is { } slot) return slot;
        if (request.Gpus > 0) return WholeOutsidePlan(node, request, nodePlan);
        if (request.FgpuMilli <= 0 || request.MigProfile is not null || node.GpuMilliFor(request) >= GpuAllocationMap.DeviceMilli)
            return node.FindGpuShares(request);
        return BestDevice(node, request) is var (device, _) && device >= 0
            ? [new GpuShare(node.Gpus.Devices[device].Uuid, node.GpuMilliFor(request))] : null;
    }

    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        hold.Measure(cluster);
        return this;
    }

    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, DateTimeOffset now)
    {
        hold.Measure(cluster, queue, now);
        return this;
    }

    /// <summary>Between rounds the hold's count changes, and within one the scores read only the node.</summary>
    public bool ScoresDependOnNodeOnly => true;

    /// <summary>The device a share outside the plan takes by best fit (−1: none) and what it leaves free of it.</summary>
    private (int Device, int Left) BestDevice(NodeState node, ResourceRequest request)
    {
        var milli = node.GpuMilliFor(request);
        var inUseOnly = hold.KeepsOffWholeGpus(node, request, out _);   // its callers found no open slot
        var (device, left) = (-1, -1);
        var gpus = node.Gpus;
        for (var d = 0; d < gpus.DeviceCount; d++)
        {
            var free = gpus.FreeMilliAt(d);
            if (free < milli || (inUseOnly && free == GpuAllocationMap.DeviceMilli) || !GpuAllocationMap.ModelMatches(gpus.Devices[d], request.GpuModels)) continue;
            if (device < 0 || free - milli < left) (device, left) = (d, free - milli);
        }
        return (device, left);
    }

    private static GpuShare[]? WholeOutsidePlan(NodeState node, ResourceRequest request, NodePlan? nodePlan)
    {
        var gpus = node.Gpus;
        var devices = Enumerable.Range(0, gpus.DeviceCount)
            .Where(d => gpus.FreeMilliAt(d) == GpuAllocationMap.DeviceMilli && GpuAllocationMap.ModelMatches(gpus.Devices[d], request.GpuModels))
            .OrderBy(d => nodePlan?.ForShares(d) == true ? 0 : 1).Take(request.Gpus)
            .Select(d => new GpuShare(gpus.Devices[d].Uuid, GpuAllocationMap.DeviceMilli)).ToArray();
        return devices.Length == request.Gpus ? devices : null;
    }
}
