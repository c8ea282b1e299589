using Granary.Scheduling;
using Granary.Sessions;
using Granary.SiloPlacement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Agents.Liveness;

/// <summary>
/// Acts on NodeLiveness: a timer finds nodes that became lost or expired and tells their scheduler and sessions;
/// heartbeats tell when a lost node is back. Heartbeats are kept in memory and the records checkpointed every
/// LostAfter (and at every change of liveness), so after a manager restart a node known from before still gets
/// marked lost if it never returns. Call graph: see INodeLivenessGrain (sessions and schedulers never call back).
/// </summary>
[ManagerPlacement]
public sealed class NodeLivenessGrain(
    [PersistentState("liveness", GranaryStorage.Name)] IPersistentState<NodeLivenessState> state,
    IOptions<AgentOptions> options,
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<NodeLivenessGrain> logger) : Grain, INodeLivenessGrain
{
    private NodeLiveness _liveness = null!;
    // What sessions are still to be told about their node, delivered (and retried until delivered) every tick: a
    // call to a session fails while its grain's directory entry sits on the silo that just died.
    private readonly Dictionary<string, SessionNotice> _notices = new(StringComparer.Ordinal);
    private DateTimeOffset _checkpointed;
    private bool _dirty;

    private NodeLivenessState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var agent = options.Value;
        _liveness = new NodeLiveness(agent.HeartbeatPace, agent.LostGrace);
        var now = time.GetUtcNow();
        foreach (var record in S.Nodes)
        {
            _liveness.Restore(record, now);
        }
        _checkpointed = now;
        var period = TimeSpan.FromTicks(Math.Max(agent.LostAfter.Ticks / 5, TimeSpan.FromMilliseconds(100).Ticks));
        this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task<string?> Claim(NodeClaim claim)
    {
        var live = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.ToParsableString())
            .ToHashSet(StringComparer.Ordinal);
        if (S.Claims.TryGetValue(claim.NodeId, out var held) && held.Silo != claim.Silo && live.Contains(held.Silo))
        {
            return $"node id '{claim.NodeId}' is already hosted by the live silo {held.Silo}";
        }
        foreach (var (nodeId, other) in S.Claims.Where(c => c.Key != claim.NodeId && live.Contains(c.Value.Silo)))
        {
            if (other.GpuUuids.Intersect(claim.GpuUuids, StringComparer.Ordinal).FirstOrDefault() is { } uuid)
            {
                return $"GPU {uuid} is already reported by the live node '{nodeId}' (silo {other.Silo})";
            }
        }
        if (held != claim)
        {
            S.Claims[claim.NodeId] = claim;
            await state.WriteStateAsync();
        }
        return null;
    }

    public Task<HeartbeatAnswer> Heartbeat(string nodeId, string resourceGroup, string[] sessions)
    {
        var change = _liveness.Heartbeat(nodeId, resourceGroup, sessions, time.GetUtcNow());
        _dirty = true;
        switch (change.Change)
        {
            case NodeChange.Joined:
                logger.LogInformation("Node {Node} ({Group}) is alive: first heartbeat", nodeId, resourceGroup);
                _dirty = true;
                break;
            case NodeChange.Returned:
                logger.LogWarning("Node {Node} is back within its grace (lost since {LostSince:O}); its {Count} session(s) continue",
                    nodeId, change.LostSince, change.Sessions.Length);
                _dirty = true;
                // Told at the next tick: the node must not wait for its sessions.
                Tell(change.Sessions, new SessionNotice(nodeId, NodeChange.Returned, change.LastHeartbeat));
                break;
            case NodeChange.ReturnedAfterGrace:
                logger.LogWarning("Node {Node} is back after its grace (lost since {LostSince:O}); it removes the containers " +
                    "of its sessions that ended before it takes new work", nodeId, change.LostSince);
                _dirty = true;
                break;
        }
        return Task.FromResult(new HeartbeatAnswer(change.Change is NodeChange.Returned or NodeChange.ReturnedAfterGrace, _liveness.Interval));
    }

    public Task<AgentLiveness[]> List() => Task.FromResult(_liveness.Nodes
        .OrderBy(n => n.NodeId, StringComparer.Ordinal)
        .Select(n => new AgentLiveness(
            n.NodeId,
            n.LostSince is null ? AgentLiveness.Alive : n.Expired ? AgentLiveness.Expired : AgentLiveness.Lost,
            n.LastHeartbeat,
            n.LostSince))
        .ToArray());

    private async Task Tick(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changes = _liveness.Tick(now);
        foreach (var change in changes)
        {
            if (change.Change == NodeChange.Lost)
            {
                logger.LogWarning("Node {Node} marked lost: no heartbeat since {LastHeartbeat:O} (LostAfter {LostAfter}); nothing new " +
                    "is placed on it and its {Count} session(s) are unreachable until it returns (LostGrace {LostGrace})",
                    change.NodeId, change.LastHeartbeat, _liveness.LostAfter, change.Sessions.Length, _liveness.LostGrace);
                // The scheduler may have placed sessions there since the node's last heartbeat: they are its too.
                var placed = await GrainFactory.Ref<ISchedulerGrain>(change.ResourceGroup).ForgetAgent(change.NodeId);
                Tell(_liveness.AddSessions(change.NodeId, placed), new SessionNotice(change.NodeId, NodeChange.Lost, change.LastHeartbeat));
            }
            else if (change.Change == NodeChange.Expired)
            {
                logger.LogWarning("Node {Node} did not return within LostGrace {LostGrace} (lost since {LostSince:O}); its {Count} " +
                    "session(s) end as agent-lost", change.NodeId, _liveness.LostGrace, change.LostSince, change.Sessions.Length);
                Tell(change.Sessions, new SessionNotice(change.NodeId, NodeChange.Expired, change.LastHeartbeat));
            }
        }
        await DeliverNotices();
        if (changes.Count > 0 || (_dirty && now - _checkpointed >= _liveness.LostAfter))
        {
            S.Nodes = [.. _liveness.Nodes];
            _dirty = false;
            _checkpointed = now;
            await state.WriteStateAsync(cancellationToken);
        }
    }

    /// <summary>A later notice replaces one not yet delivered (a node back before its sessions heard it was lost
    /// need not tell them anything else).</summary>
    private void Tell(IEnumerable<string> sessions, SessionNotice notice)
    {
        foreach (var session in sessions)
        {
            _notices[session] = notice;
        }
    }

    /// <summary>Each session's calls are idempotent, so a notice is simply sent again until one arrives.</summary>
    private async Task DeliverNotices()
    {
        await Task.WhenAll(_notices.ToArray().Select(async pending =>
        {
            var (sessionId, notice) = (pending.Key, pending.Value);
            var session = GrainFactory.Ref<ISessionGrain>(sessionId);
            try
            {
                await (notice.Change switch
                {
                    NodeChange.Lost => session.NodeUnreachable(notice.NodeId, notice.LastHeartbeat),
                    NodeChange.Returned => session.NodeReachable(notice.NodeId),
                    _ => session.AgentLost(notice.NodeId, notice.LastHeartbeat),
                });
                if (_notices.GetValueOrDefault(sessionId) == notice)
                {
                    _notices.Remove(sessionId);
                }
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Node {Node}: telling session {Session} that its node is {Change} failed; retrying",
                    notice.NodeId, sessionId, notice.Change);
            }
        }));
    }

    /// <summary>What a session is to hear: its node lost (Lost), back (Returned), or gone for good (Expired).</summary>
    private sealed record SessionNotice(string NodeId, NodeChange Change, DateTimeOffset LastHeartbeat);
}
