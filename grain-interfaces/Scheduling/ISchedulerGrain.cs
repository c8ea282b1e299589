using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>
/// The scheduler of one resource group (key: group name). Holds the pending queue and a view of every
/// agent's free capacity in the group; one activation per group serialises decisions. It re-plans on
/// enqueue, on capacity change and on a timer, and tells each placed session through ISessionGrain.Assign.
/// </summary>
public interface ISchedulerGrain : IGrainWithStringKey
{
    Task Enqueue(PendingSession session);

    /// <summary>Removes a session from the queue (cancelled before placement), and forgets a placement made for it
    /// that no agent snapshot has confirmed yet (the session ended). Idempotent.</summary>
    Task Dequeue(string sessionId);

    /// <summary>An agent's snapshot (registration, heartbeat, allocation change). Older versions are ignored.</summary>
    Task ReportAgent(AgentSnapshot snapshot);

    /// <summary>The agent refused a placement the scheduler made: forget it and queue the session again.</summary>
    Task PlacementRefused(Placement placement, string reason);

    /// <summary>The agent is lost (no heartbeats): it leaves the view, so nothing new is placed on it, until a
    /// snapshot of it comes again. Returns the sessions the view had on it (placed since the node's last liveness
    /// heartbeat too), so each hears that its node is lost. The scheduler never calls the liveness grain: no cycle.</summary>
    Task<string[]> ForgetAgent(string agentId);

    Task<SchedulerStatus> GetStatus();
}
