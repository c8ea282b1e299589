namespace Granary.Scheduling.Replay;

/// <summary>
/// Puts a plan to the test before it is followed: the pods it was planned for arrive on the nodes in their order, once
/// placed by <c>byDefault</c> (a fresh instance each time), once by the plan at a hold and, when one is followed, once
/// by the <c>current</c> plan, under three orders of the nodes. The new plan replaces the current one only if it holds
/// more of the GPUs than it, and the one kept is followed only if it holds more than the default. On some mixes (much
/// work without GPUs) a plan does worse than the default; this is how a planner finds out before it follows one, and
/// a group keeps its plan (and what runs in its slots) until a new one does better.
/// </summary>
public static class PlanTrial
{
    // Each seed orders the nodes differently, which decides ties: the trial is not won by one order's tie-breaks.
    private static readonly int[] Seeds = [1, 2, 3];

    public static PlanChoice Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> arrived, MixPlan plan, double hold,
        Func<PlacementPolicy> byDefault, MixPlan? current = null)
    {
        ArgumentNullException.ThrowIfNull(byDefault);
        var asDefault = Held(nodes, arrived, _ => byDefault());
        var asPlanned = Held(nodes, arrived, seed => ReplayBenchmark.Following(nodes, plan, hold, seed));
        if (current is not null && Held(nodes, arrived, seed => ReplayBenchmark.Following(nodes, current, hold, seed)) is var asCurrent
            && asCurrent >= asPlanned)
            return new PlanChoice(current, asCurrent > asDefault, asCurrent / Seeds.Length, asDefault / Seeds.Length, Kept: true);
        return new PlanChoice(plan, asPlanned > asDefault, asPlanned / Seeds.Length, asDefault / Seeds.Length);
    }

    /// <summary>The GPU milli the policy holds after the last arrival, summed over the node orders.</summary>
    private static long Held(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> arrived, Func<int, PlacementPolicy> policy) =>
        Seeds.Sum(seed => Allocated(TraceReplay.Run(nodes, arrived, policy(seed), seed)));

    private static long Allocated(ReplayRun run) => run.Events.Count == 0 ? 0 : run.Events[^1].AllocatedGpuMilli;
}
