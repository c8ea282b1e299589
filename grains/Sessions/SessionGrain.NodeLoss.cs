using Microsoft.Extensions.Logging;

namespace Granary.Sessions;

/// <summary>What a session does when the liveness grain says its node is lost, back, or gone for good.</summary>
public sealed partial class SessionGrain
{
    public const string AgentLostReason = "agent-lost";

    public async Task NodeUnreachable(string agentId, DateTimeOffset lastHeartbeat)
    {
        if (!RunsOn(agentId) || S.NodeUnreachableSince is not null)
        {
            return;
        }
        S.NodeUnreachableSince = lastHeartbeat;
        S.StatusReason = $"node {agentId} unreachable: no heartbeat since {lastHeartbeat:O}";
        Append(time.GetUtcNow());
        await Save();
    }

    public async Task NodeReachable(string agentId)
    {
        if (!RunsOn(agentId) || S.NodeUnreachableSince is null)
        {
            return;
        }
        S.NodeUnreachableSince = null;
        S.StatusReason = $"node {agentId} reachable again";
        Append(time.GetUtcNow());
        await Save();
    }

    public async Task AgentLost(string agentId, DateTimeOffset lastHeartbeat)
    {
        if (!RunsOn(agentId))
        {
            return;
        }
        logger.LogWarning("Session {Session} ends as {Reason}: node {Agent} silent since {LastHeartbeat:O} did not return in time",
            Id, AgentLostReason, agentId, lastHeartbeat);
        S.TerminatedAt = time.GetUtcNow();
        MoveTo(SessionStatus.Error, $"{AgentLostReason}: node {agentId} silent since {lastHeartbeat:O} did not return within its grace");
        await Save();
        await Ended();
    }

    private bool RunsOn(string agentId) =>
        S.Spec is not null && !SessionTransitions.IsFinal(S.Status) && S.Placement?.AgentId == agentId;
}
