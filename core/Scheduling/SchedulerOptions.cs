namespace Granary.Scheduling;

/// <summary>Scheduler settings ("Granary:Scheduler"); Groups overrides the policy per resource group.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Granary:Scheduler";

    /// <summary>Placement policy: "plan", the default, follows the plan the group's planner solves for the mix it
    /// observes and only while the plan wins its trial, placing as <see cref="PlacementPolicy.DefaultName"/> otherwise
    /// (docs/scheduling.md, "The planner as the default"); or one of PlacementPolicy.Names.</summary>
    public string Policy { get; set; } = PlacementPolicy.PlanName;

    /// <summary>Queue order: "fifo", "lifo", "priority" or "drf".</summary>
    public string Queue { get; set; } = "fifo";

    /// <summary>How often a request may be passed over by later ones before a node is kept for it.</summary>
    public int MaxSkips { get; set; } = 16;

    public Dictionary<string, SchedulerGroupOptions> Groups { get; set; } = [];

    /// <summary>Period of the planning timer (re-plans even when nothing was reported).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a planning pass waits after an enqueue, so one pass serves a burst of them.</summary>
    public TimeSpan CoalesceDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a fragmentation-aware policy reuses the observed mix of requests before measuring it again.</summary>
    public TimeSpan WorkloadRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Under the policy "plan": how often the planner solves the plan again for the mix and the agents it then
    /// observes (the first time as soon as there is something to plan).</summary>
    public TimeSpan Replan { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Under the policy "plan": while at most this share of the GPUs is whole, a share outside the plan goes
    /// only on a GPU in use (<see cref="Scheduling.PlanHold"/>), until a share has waited <see cref="Scheduling.PlanHold.ShareWait"/>;
    /// 0 never keeps a share waiting that fits. The default, 0.1, is the hold that closes half of FGD's gap to the
    /// bound arrival-only.</summary>
    public double PlanHold { get; set; } = 0.1;

    /// <summary>An agent whose snapshots stop for this long drops out of the view.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>A placement that no agent snapshot confirms within this time is freed and its session queued again.</summary>
    public TimeSpan InFlightTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public SchedulingPolicy PolicyFor(string resourceGroup)
    {
        var group = Groups.GetValueOrDefault(resourceGroup);
        return new SchedulingPolicy(
            Placement: group?.Policy ?? Policy,
            Queue: group?.Queue ?? Queue,
            MaxSkips: group?.MaxSkips ?? MaxSkips);
    }
}

public sealed class SchedulerGroupOptions
{
    public string? Policy { get; set; }
    public string? Queue { get; set; }
    public int? MaxSkips { get; set; }
}
