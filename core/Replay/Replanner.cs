namespace Granary.Scheduling.Replay;

/// <summary>
/// The grains' planner (<see cref="PlanInput"/>) inside a replay: every <paramref name="period"/> of trace time it
/// solves a plan for the agents and the mix it observes then (the last arrivals, repeated up to the GPU capacity) and follows it at <paramref name="hold"/>; until its first plan it places as <paramref name="before"/>.
/// The solve runs inside the round here (the grains run it beside their rounds) and is timed as decision time. A solve
/// that fails (the solver's InvalidOperationException) is recorded and the plan followed so far kept, as the grains
/// keep it; a new plan replaces the one followed only if it does better in trial, and a plan that does worse than the
/// default in trial is not followed (<see cref="PlanInput.Choose"/>; the
/// trial's default knows no target workload, as in the grains). <paramref name="solve"/> replaces <see cref="PlanInput.Choose"/> (tests).
/// </summary>
public sealed class Replanner(TimeSpan period, double hold, PlacementPolicy before, Func<PlanInput, PlanChoice?>? solve = null)
{
    private readonly List<string> _failures = [];

    private DateTimeOffset _due = DateTimeOffset.MinValue;
    private readonly PlacementPolicy _before = before;
    private PlacementPolicy _policy = before;
    private MixPlan? _followed;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly RecentRequests _arrivals = new(RecentRequests.DefaultCapacity);

    /// <summary>Plans solved so far.</summary>
    public int Solves { get; private set; }

    /// <summary>Plans solved and not followed, the default having done better in trial.</summary>
    public int Declined { get; private set; }

    /// <summary>Plans solved and not taken up, the plan followed having held as much in trial (it goes on).</summary>
    public int Kept { get; private set; }

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
        var input = PlanInput.Of(cluster, queue.Select(q => q.Session.Resources), _arrivals.Items) with { Current = _followed };
        PlanChoice? choice;
        try
        {
            choice = solve is null ? input.Choose(hold, () => PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false)) : solve(input);
        }
        catch (InvalidOperationException exception)
        {
            _failures.Add($"{now:u}: {exception.Message}");
            _due = now + period;
            return _policy;
        }
        if (choice is not null)
        {
            if (choice.Follow && choice.Kept) Kept++;
            else _policy = choice.Follow ? PlacementPolicy.Following(choice.Plan.Assign(cluster), hold) : _before;
            _followed = choice.Follow ? choice.Plan : null;
            _due = now + period;
            Solves++;
            if (!choice.Follow) Declined++;
        }
        return _policy;
    }
}
