namespace Granary.Scheduling;

/// <summary>The scheduler as a pure function: (queue, cluster snapshot, policy) → plan. It never modifies the cluster.</summary>
public static class Scheduler
{
    public static SchedulePlan Plan(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, SchedulingPolicy policy)
        => throw new NotImplementedException();
}
