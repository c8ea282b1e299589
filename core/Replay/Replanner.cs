namespace Granary.Scheduling.Replay;

/// <summary>
/// The grains' planner (<see cref="PlanInput"/>) inside a replay: every <paramref name="period"/> of trace time it
/// solves a plan for the agents and the mix it observes then (the last arrivals, repeated up to the GPU capacity) and follows it at <paramref name="hold"/>; until its first plan it places as <paramref name="before"/>.
/// The solve runs inside the round here (the grains run it beside their rounds) and is timed as decision time. A solve
/// that fails (the solver's InvalidOperationException) is recorded and the plan followed so far kept, as the grains
/// keep it; <paramref name="solve"/> replaces <see cref="PlanInput.Solve"/> (tests).
/// </summary>
public sealed class Replanner(TimeSpan period, double hold, PlacementPolicy before, Func<PlanInput, MixPlan?>? solve = null)
{
    private readonly List<string> _failures = [];

    private DateTimeOffset _due = DateTimeOffset.MinValue;
    private PlacementPolicy _policy = before;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly RecentRequests _arrivals = new(RecentRequests.DefaultCapacity);

    /// <summary>Plans solved so far.</summary>
    public int Solves { get; private set; }

    /// <summary>The solves that failed, with the trace time and the solver's message.</summary>
    public IReadOnlyList<string> Failures => _failures;

    public PlacementPolicy PolicyAt(ClusterState cluster, IReadOnlyList<QueuedRequest> queue, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(queue);
        foreach (var queued in queue)
            if (_seen.Add(queued.Session.SessionId)) _arrivals.Add(queued.Session.Resources);   // as SchedulerCore.Enqueue
        if (now < _due) return _policy;
        // As SchedulerCore.ReplanDue: nothing to plan yet is asked again at the next round.
        var input = PlanInput.Of(cluster, queue.Select(q => q.Session.Resources), _arrivals.Items);
        MixPlan? plan;
        try
        {
            plan = solve is null ? input.Solve() : solve(input);
        }
        catch (InvalidOperationException exception)
        {
            _failures.Add($"{now:u}: {exception.Message}");
            _due = now + period;
            return _policy;
        }
        if (plan is not null)
        {
            _policy = PlacementPolicy.Following(plan.Assign(cluster), hold);
            _due = now + period;
            Solves++;
        }
        return _policy;
    }
}
