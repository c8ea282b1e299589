namespace Granary.Scheduling.Replay;

/// <summary>
/// Puts a plan to the test before it is followed: the pods it was planned for arrive on the nodes in their order, once
/// placed by <c>byDefault</c> (a fresh instance each time) and once by the plan at a hold, under three orders of the
/// nodes, and the plan wins only if it holds more of the GPUs. On some mixes (much work without GPUs) the plan does
/// worse than the default; this is how a planner finds out before it follows one.
/// </summary>
public static class PlanTrial
{
    // Each seed orders the nodes differently, which decides ties: the trial is not won by one order's tie-breaks.
    private static readonly int[] Seeds = [1, 2, 3];

    public static PlanChoice Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> arrived, MixPlan plan, double hold,
        Func<PlacementPolicy> byDefault)
    {
        ArgumentNullException.ThrowIfNull(byDefault);
        long asDefault = 0, asPlanned = 0;
        foreach (var seed in Seeds)
        {
            asDefault += Allocated(TraceReplay.Run(nodes, arrived, byDefault(), seed));
            asPlanned += Allocated(TraceReplay.Run(nodes, arrived, ReplayBenchmark.Following(nodes, plan, hold, seed), seed));
        }
        return new PlanChoice(plan, asPlanned > asDefault, asPlanned / Seeds.Length, asDefault / Seeds.Length);
    }

    private static long Allocated(ReplayRun run) => run.Events.Count == 0 ? 0 : run.Events[^1].AllocatedGpuMilli;
}
