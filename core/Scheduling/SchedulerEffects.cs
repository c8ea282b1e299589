using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>
/// What the scheduler grain must do after one event of its <see cref="SchedulerCore"/>: tell sessions their
/// placement (Assign) or why they still wait (PendingReasons), store the state (Persist), plan again soon
/// (PlanWanted; the grain coalesces), and log what the core decided to let go (Released, AgentsLost) or noticed (Notices, Anomalies).
/// </summary>
public sealed class SchedulerEffects
{
    public List<InFlightPlacement> Assign { get; } = [];

    public List<PendingReason> PendingReasons { get; } = [];

    public List<Release> Released { get; } = [];

    public List<LostAgent> AgentsLost { get; } = [];

    /// <summary>Worth a line in the log, nothing to do.</summary>
    public List<string> Notices { get; } = [];

    /// <summary>Placements that could not be made although the plan made them (a bug, logged as an error).</summary>
    public List<string> Anomalies { get; } = [];

    /// <summary>The state changed in a way that must be stored before the grain goes on.</summary>
    public bool Persist { get; set; }

    /// <summary>Something changed that a planning pass should see.</summary>
    public bool PlanWanted { get; set; }
}

/// <summary>A queued session whose reason for waiting changed.</summary>
public sealed record PendingReason(string SessionId, string Reason);

/// <summary>A placement the scheduler took back from its view, and why.</summary>
public sealed record Release(Placement Placement, ReleaseCause Cause, string? Detail = null);

public enum ReleaseCause
{
    /// <summary>The session left the queue (cancelled or ended) before an agent confirmed it.</summary>
    Dequeued,

    /// <summary>The agent refused the placement; the session is queued again.</summary>
    Refused,

    /// <summary>No snapshot of the agent confirmed it within InFlightTimeout; the session is queued again.</summary>
    InFlightTimeout,

    /// <summary>The session did not take it (already placed or ended).</summary>
    Declined,

    /// <summary>Telling the session failed; it is queued again (a second Assign is declined if the first arrived).</summary>
    AssignFailed,
}

/// <summary>An agent that sent no snapshot since LastSeen, longer than AgentTimeout ago: it left the view.</summary>
public sealed record LostAgent(string AgentId, DateTimeOffset LastSeen);
