using Granary.Scheduling.Replay;

namespace Granary.Scheduling;

/// <summary>What a planner settles on (<see cref="PlanInput.Choose"/>): its plan (the new one, or the one followed
/// when that held as much: <see cref="Kept"/>), whether to follow it, and the GPU milli the plan and the default each
/// held when the planned mix arrived in trial (the mean over its node orders).</summary>
public sealed record PlanChoice(MixPlan Plan, bool Follow, long PlanHeldGpuMilli, long DefaultHeldGpuMilli, bool Kept = false);
