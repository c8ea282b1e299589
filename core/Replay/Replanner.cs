namespace Granary.Scheduling.Replay;

/// <summary>
/// The grains' planner (<see cref="PlanInput"/>) inside a replay: every <paramref name="period"/> of trace time it
/// solves a plan for the agents and the mix it observes then (what runs and what waits, repeated up to the GPU
/// capacity) and follows it at <paramref name="hold"/>; until its first plan it places as <paramref name="before"/>.
/// The solve runs inside the round here (the grains run it beside their rounds) and is timed as decision time.
/// </summary>
public sealed class Replanner(TimeSpan period, double hold, PlacementPolicy before)
{
    private DateTimeOffset _due = DateTimeOffset.MinValue;
    private PlacementPolicy _policy = before;

    /// <summary>Plans solved so far.</summary>
    public int Solves { get; private set; }

    public PlacementPolicy PolicyAt(ClusterState cluster, IReadOnlyList<QueuedRequest> queue, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(queue);
        if (now < _due) return _policy;
        // As SchedulerCore.ReplanDue: nothing to plan yet is asked again at the next round.
        if (PlanInput.Of(cluster, queue.Select(q => q.Session.Resources)).Solve() is { } plan)
        {
            _policy = PlacementPolicy.Following(plan.Assign(cluster), hold);
            _due = now + period;
            Solves++;
        }
        return _policy;
    }
}
