using Granary.Sessions;

namespace Granary.Agents;

/// <summary>
/// One node (key: node id), pinned to the agent silo that hosts the node. Owns the node's truth:
/// capacity, allocations, containers. Confirms or refuses every placement before starting anything.
/// </summary>
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Called by the hosting agent silo at start and whenever the node's capacity changes.</summary>
    Task Register(AgentRegistration registration);

    /// <summary>Re-checks the placement against the node's own allocations; on success reserves it and starts
    /// the container in the background, reporting progress to the session grain.</summary>
    Task<StartDecision> Start(Placement placement, SessionSpec spec);

    /// <summary>Stops and removes the session's container, then frees its allocation. Idempotent.</summary>
    Task Stop(string sessionId, bool force);

    Task<AgentSnapshot> GetSnapshot();

    Task<string> GetLogs(string sessionId, int tailLines);
}
