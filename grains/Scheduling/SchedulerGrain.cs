using System.Diagnostics;
using Granary.Agents;
using Granary.SiloPlacement;
using Granary.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Granary.Scheduling;

/// <summary>
/// The scheduler of one resource group: the pending queue and a view of the group's agents, built from their
/// snapshots plus the placements made since (in flight until a snapshot shows them or the agent refuses).
/// It never awaits another grain inside a turn: Assign is sent from outside the planning turn and the pending
/// reason is one-way. So a session or an agent may always await the scheduler without risking a call cycle.
/// Reentrant, so that a burst of enqueues shares one state write (group commit, see StateWriter): every turn
/// changes the queue and the view before its first await, and planning is one synchronous step, so decisions
/// are still made one at a time on a consistent view.
/// </summary>
[ManagerPlacement, Reentrant]
public sealed class SchedulerGrain(
    [PersistentState("scheduler", GranaryStorage.Name)] IPersistentState<SchedulerState> state,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<SchedulerGrain> logger) : Grain, ISchedulerGrain
{
    private readonly ClusterState _cluster = new();
    private readonly Dictionary<string, AgentView> _agents = [];
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _inFlightByAgent = new(StringComparer.Ordinal);
    private StateWriter _writer = null!;
    private SchedulingPolicy _policy = new();
    // One instance per activation, so stateful policies (round robin's cursor, the fragmentation scorer's observed
    // mix and memo) carry across planning rounds.
    private PlacementPolicy _placement = null!;
    private IQueueOrder _order = null!;
    private IGrainTimer? _planTimer;
    private bool _planRequested;
    private bool _dirty;

    private string Group => this.GetPrimaryKeyString();
    private SchedulerState S => state.State;
    private SchedulerOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _policy = Options.PolicyFor(Group);
        _placement = PlacementPolicy.Create(_policy.Placement, workloadRefresh: Options.WorkloadRefresh);
        _order = QueueOrders.Resolve(_policy.Queue);
        _writer = new StateWriter(state.WriteStateAsync);
        _queued.UnionWith(S.Queue.Select(q => q.Session.SessionId));
        foreach (var inFlight in S.InFlight.Values)
        {
            IndexInFlight(inFlight);
        }
        _planTimer = this.RegisterGrainTimer(PlanPass, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(Options.Interval, Options.Interval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task Enqueue(PendingSession session)
    {
        if (S.InFlight.ContainsKey(session.SessionId) || _queued.Contains(session.SessionId))
        {
            return;
        }
        Insert(new QueuedSession(session, 0, "waiting for the scheduler"));
        RequestPlan();
        await _writer.Write();
    }

    public async Task Dequeue(string sessionId)
    {
        var removed = _queued.Remove(sessionId) && S.Queue.RemoveAll(q => q.Session.SessionId == sessionId) > 0;
        if (RemoveInFlight(sessionId) is { } inFlight)
        {
            _cluster.Release(inFlight.Placement.AgentId, sessionId);
            removed = true;
            RequestPlan();
        }
        if (removed)
        {
            await _writer.Write();
        }
    }

    public Task ReportAgent(AgentSnapshot snapshot)
    {
        if (snapshot.ResourceGroup != Group)
        {
            // The agent moved to another group.
            Forget(snapshot.AgentId);
            return Task.CompletedTask;
        }
        if (_agents.TryGetValue(snapshot.AgentId, out var known))
        {
            if (snapshot.Version < known.Version)
            {
                return Task.CompletedTask;
            }
            known.LastSeen = time.GetUtcNow();
            if (snapshot.Version == known.Version)
            {
                return Task.CompletedTask;
            }
        }
        else
        {
            known = new AgentView { LastSeen = time.GetUtcNow() };
            _agents[snapshot.AgentId] = known;
        }
        known.Version = snapshot.Version;
        _cluster.UpsertAgent(snapshot);
        ReapplyInFlight(snapshot);
        RequestPlan();
        return Task.CompletedTask;
    }

    public async Task PlacementRefused(Placement placement, string reason)
    {
        logger.LogInformation("Group {Group}: {Agent} refused {Session}: {Reason}", Group, placement.AgentId, placement.SessionId, reason);
        if (S.InFlight.TryGetValue(placement.SessionId, out var inFlight) && inFlight.Placement.AgentId == placement.AgentId)
        {
            RemoveInFlight(placement.SessionId);
            Insert(new QueuedSession(inFlight.Session, 0, $"placement on {placement.AgentId} refused: {reason}"));
        }
        // The view of that agent was wrong: leave it out until a newer snapshot from it (the agent sends one
        // when it refuses) shows its truth.
        _cluster.RemoveAgent(placement.AgentId);
        RequestPlan();
        await _writer.Write();
    }

    public Task ForgetAgent(string agentId)
    {
        logger.LogWarning("Group {Group}: agent {Agent} is lost; it leaves the view", Group, agentId);
        Forget(agentId);
        return Task.CompletedTask;
    }

    public Task<SchedulerStatus> GetStatus() => Task.FromResult(new SchedulerStatus(
        Group,
        _policy.Placement,
        S.Queue.Select(q => new PendingEntry(q.Session.SessionId, q.Reason, q.Skips)).ToArray(),
        _cluster.Nodes.Count));

    private void RequestPlan()
    {
        if (_planRequested)
        {
            return;
        }
        _planRequested = true;
        _planTimer!.Change(Options.CoalesceDelay, Timeout.InfiniteTimeSpan);
    }

    private async Task Tick(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (agentId, agent) in _agents.Where(a => now - a.Value.LastSeen > Options.AgentTimeout).ToArray())
        {
            logger.LogWarning("Group {Group}: agent {Agent} sent nothing since {LastSeen}; it leaves the view", Group, agentId, agent.LastSeen);
            Forget(agentId);
        }
        foreach (var inFlight in S.InFlight.Values.Where(f => now - f.PlacedAt > Options.InFlightTimeout).ToArray())
        {
            logger.LogWarning("Group {Group}: no snapshot of {Agent} confirmed {Session} in time; forgetting the placement",
                Group, inFlight.Placement.AgentId, inFlight.Placement.SessionId);
            RemoveInFlight(inFlight.Placement.SessionId);
            _cluster.Release(inFlight.Placement.AgentId, inFlight.Placement.SessionId);
            _dirty = true;
        }
        await PlanPass(cancellationToken);
    }

    private async Task PlanPass(CancellationToken cancellationToken)
    {
        _planRequested = false;
        List<InFlightPlacement> placed = [];
        if (S.Queue.Count > 0)
        {
            var started = Stopwatch.GetTimestamp();
            placed = Plan();
            var tags = new KeyValuePair<string, object?>("group", Group);
            SchedulerMetrics.PlanDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
            SchedulerMetrics.Placed.Add(placed.Count, tags);
        }
        if (_dirty)
        {
            _dirty = false;
            await _writer.Write();
        }
        // Sent without awaiting them in this turn (see the class comment); their outcome is handled when it comes.
        foreach (var inFlight in placed)
        {
            _ = Assign(inFlight);
        }
    }

    private List<InFlightPlacement> Plan()
    {
        var plan = Scheduler.Plan(S.Queue.Select(q => new QueuedRequest(q.Session, q.Skips)).ToArray(), _cluster, _policy.MaxSkips, _placement, _order);
        var now = time.GetUtcNow();
        var placed = new List<InFlightPlacement>();
        var queue = new Dictionary<string, QueuedSession>(S.Queue.Count, StringComparer.Ordinal);
        foreach (var queued in S.Queue)
        {
            queue.TryAdd(queued.Session.SessionId, queued);
        }
        foreach (var placement in plan.Placements)
        {
            if (!queue.TryGetValue(placement.SessionId, out var queued) || !_queued.Contains(placement.SessionId))
            {
                logger.LogError("Group {Group}: the plan placed {Session}, which is not queued", Group, placement.SessionId);
                continue;
            }
            try
            {
                _cluster.Apply(placement);
            }
            catch (InvalidOperationException exception)
            {
                // The plan was computed on this very view, so this is a bug; the session stays queued.
                logger.LogError(exception, "Group {Group}: the plan's placement of {Session} does not apply", Group, placement.SessionId);
                continue;
            }
            var inFlight = new InFlightPlacement(placement, queued.Session, now);
            S.InFlight = S.InFlight.SetItem(placement.SessionId, inFlight);
            IndexInFlight(inFlight);
            _queued.Remove(placement.SessionId);
            placed.Add(inFlight);
            _dirty = true;
        }
        if (placed.Count > 0)
        {
            S.Queue.RemoveAll(q => !_queued.Contains(q.Session.SessionId));
        }
        for (var i = 0; i < S.Queue.Count; i++)
        {
            var queued = S.Queue[i];
            var id = queued.Session.SessionId;
            if (plan.Skips.TryGetValue(id, out var skips) && skips != queued.Skips)
            {
                S.Queue[i] = queued = queued with { Skips = skips };
                _dirty = true;
            }
            if (plan.PendingReasons.TryGetValue(id, out var reason) && reason != queued.Reason)
            {
                S.Queue[i] = queued with { Reason = reason };
                _dirty = true;
                _ = GrainFactory.Ref<ISessionGrain>(id).SetPendingReason(reason);
            }
        }
        return placed;
    }

    private async Task Assign(InFlightPlacement inFlight)
    {
        var placement = inFlight.Placement;
        bool? assigned;
        try
        {
            assigned = await GrainFactory.Ref<ISessionGrain>(placement.SessionId).Assign(placement);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Group {Group}: assigning {Session} to {Agent} failed", Group, placement.SessionId, placement.AgentId);
            assigned = null;
        }
        if (assigned == true || !S.InFlight.TryGetValue(placement.SessionId, out var current) || !ReferenceEquals(current, inFlight))
        {
            return;
        }
        RemoveInFlight(placement.SessionId);
        _cluster.Release(placement.AgentId, placement.SessionId);
        if (assigned is null)
        {
            // Unknown whether the session heard: queue it again; a second Assign returns false if it did.
            Insert(new QueuedSession(inFlight.Session, 0, "assignment failed; retrying"));
        }
        _dirty = true;
        RequestPlan();
    }

    private void ReapplyInFlight(AgentSnapshot snapshot)
    {
        var node = _cluster.Find(snapshot.AgentId)!;
        var held = snapshot.Allocations.Select(a => a.SessionId).ToHashSet();
        if (!_inFlightByAgent.TryGetValue(snapshot.AgentId, out var sessions))
        {
            return;
        }
        foreach (var inFlight in sessions.Select(id => S.InFlight[id]).ToArray())
        {
            if (held.Contains(inFlight.Placement.SessionId))
            {
                RemoveInFlight(inFlight.Placement.SessionId);
                _dirty = true;
            }
            // Straight onto the node: an in-flight session is never queued, so the cluster's session index
            // (which keeps queued sessions from being placed twice) need not know it.
            else if (!node.TryApply(inFlight.Placement, out var reason))
            {
                // The agent will refuse it (or has already); PlacementRefused will tidy up.
                logger.LogInformation("Group {Group}: in-flight {Session} no longer fits {Agent}: {Reason}",
                    Group, inFlight.Placement.SessionId, snapshot.AgentId, reason);
            }
        }
    }

    private void Forget(string agentId)
    {
        _agents.Remove(agentId);
        _cluster.RemoveAgent(agentId);
    }

    /// <summary>Keeps the queue oldest first; a new request usually goes last, so the search starts there.</summary>
    private void Insert(QueuedSession queued)
    {
        var index = S.Queue.Count;
        while (index > 0 && S.Queue[index - 1].Session.EnqueuedAt > queued.Session.EnqueuedAt)
        {
            index--;
        }
        S.Queue.Insert(index, queued);
        _queued.Add(queued.Session.SessionId);
    }

    private void IndexInFlight(InFlightPlacement inFlight)
    {
        var agentId = inFlight.Placement.AgentId;
        if (!_inFlightByAgent.TryGetValue(agentId, out var sessions))
        {
            _inFlightByAgent[agentId] = sessions = new HashSet<string>(StringComparer.Ordinal);
        }
        sessions.Add(inFlight.Placement.SessionId);
    }

    private InFlightPlacement? RemoveInFlight(string sessionId)
    {
        if (!S.InFlight.TryGetValue(sessionId, out var inFlight))
        {
            return null;
        }
        S.InFlight = S.InFlight.Remove(sessionId);
        var agentId = inFlight.Placement.AgentId;
        if (_inFlightByAgent.TryGetValue(agentId, out var sessions) && sessions.Remove(sessionId) && sessions.Count == 0)
        {
            _inFlightByAgent.Remove(agentId);
        }
        return inFlight;
    }

    private sealed class AgentView
    {
        public long Version { get; set; } = long.MinValue;
        public DateTimeOffset LastSeen { get; set; }
    }
}
