using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;

namespace Granary.UnitTests;

/// <summary>Small builders for hand-made nodes, clusters and queues.</summary>
internal static class TestData
{
    public const long GiB = 1L << 30;

    public static GpuDeviceInfo[] Gpus(int count, string model = "V100M32", string prefix = "gpu") =>
        Enumerable.Range(0, count).Select(i => new GpuDeviceInfo($"{prefix}-{i}", model, 32 * GiB, i)).ToArray();

    public static AgentCapacity Capacity(double cores, long memoryGiB, int gpus = 0, string model = "V100M32", int fgpuPerGpu = 1, string? prefix = null) =>
        new((long)(cores * 1000), memoryGiB * GiB, Gpus(gpus, model, prefix ?? "gpu"), fgpuPerGpu);

    public static AgentSnapshot Snapshot(string agentId, AgentCapacity capacity, params Allocation[] allocations) =>
        new(agentId, "default", capacity, allocations, [], "simulated", 1, DateTimeOffset.UnixEpoch);

    /// <summary>A node whose GPU uuids are "{agentId}-gpu-{i}".</summary>
    public static NodeState Node(string agentId, double cores, long memoryGiB, int gpus = 0, string model = "V100M32", int fgpuPerGpu = 1) =>
        new(agentId, Capacity(cores, memoryGiB, gpus, model, fgpuPerGpu, $"{agentId}-gpu"), []);

    public static ClusterState Cluster(params NodeState[] nodes)
    {
        var cluster = new ClusterState();
        foreach (var node in nodes) cluster.Upsert(node);
        return cluster;
    }

    public static ResourceRequest Request(double cores, long memoryGiB, int gpus = 0, long fgpuMilli = 0, string[]? models = null) =>
        new((long)(cores * 1000), memoryGiB * GiB, gpus, fgpuMilli, models);

    public static QueuedRequest Queued(string id, ResourceRequest resources, int order, int skips = 0) =>
        new(new PendingSession(id, "alice", resources, 0, DateTimeOffset.UnixEpoch.AddSeconds(order)), skips);

    /// <summary>A queue in the given order (enqueue times ascending).</summary>
    public static QueuedRequest[] Queue(params (string Id, ResourceRequest Resources)[] items) =>
        items.Select((item, i) => Queued(item.Id, item.Resources, i)).ToArray();

    /// <summary>The queue the next round sees: the plan's placements gone, every other request with the plan's skips.</summary>
    public static List<QueuedRequest> Remaining(IEnumerable<QueuedRequest> queue, SchedulePlan plan)
    {
        var placed = plan.Placements.Select(p => p.SessionId).ToHashSet();
        return queue.Where(q => !placed.Contains(q.Session.SessionId))
            .Select(q => q with { Skips = plan.Skips.GetValueOrDefault(q.Session.SessionId, q.Skips) }).ToList();
    }

    /// <summary>Everything a cluster holds, for comparing before/after.</summary>
    public static string Describe(ClusterState cluster) => string.Join("\n", cluster.Nodes.Select(n =>
        $"{n.AgentId} cpu={n.FreeCpuMilli} mem={n.FreeMemoryBytes} gpu={n.FreeGpuMilli} sessions=" +
        string.Join(",", n.Allocations.OrderBy(a => a.SessionId).Select(a => a.SessionId)) + " devices=" +
        string.Join(",", n.Gpus.Devices.Select(d => $"{d.Uuid}:{n.Gpus.UsedMilliOf(d.Uuid)}"))));
}
