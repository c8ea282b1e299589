using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>
/// The scheduler of one resource group as a plain, single-threaded state machine: the pending queue, a view of the
/// group's agents built from their snapshots plus the placements made since (in flight until a snapshot shows them
/// or the agent refuses), driven by events (enqueue, dequeue, snapshot, refusal, assignment outcome, tick, plan)
/// with the current time passed in. Each event returns the <see cref="SchedulerEffects"/> the caller carries out;
/// nothing here reads a clock, awaits or calls out, so a harness with a fake clock replays it exactly.
/// </summary>
/// <remarks>
/// The state is the grain's persisted <see cref="SchedulerState"/> (the queue, oldest first, and the in-flight
/// placements), changed in place; the view of the agents is rebuilt from their snapshots after a restart.
/// </remarks>
public sealed class SchedulerCore
{
    private readonly SchedulerState _state;
    private readonly SchedulerOptions _options;
    private readonly ClusterState _cluster = new();
    private readonly Dictionary<string, AgentView> _agents = new(StringComparer.Ordinal);
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _inFlightByAgent = new(StringComparer.Ordinal);
    // One instance per scheduler, so stateful policies (round robin's cursor, the fragmentation scorer's observed
    // mix and memo) carry across planning rounds.
    private PlacementPolicy _placement;
    private readonly PlacementPolicy _beforePlan;   // under "plan": fgd-adaptive, placing until a plan is worth following
    private readonly IQueueOrder _order;
    private bool _dirty;
    // Under the policy "plan": when the planner should solve next, whether a solve is out, and what is followed.
    private DateTimeOffset _replanAt = DateTimeOffset.MinValue;
    private bool _solving;
    private string _planStatus = $"no plan yet: placing as {PlacementPolicy.DefaultName}";
    private Replay.MixPlan? _followed;
    private DateTimeOffset _followedAt;                 // when the plan followed was solved
    private WorkloadPlan _laid = WorkloadPlan.Empty;   // and where it lies
    private string _following = "";
    private readonly RecentRequests _arrivals = new(RecentRequests.DefaultCapacity);   // not stored: a restart plans from what runs

    public SchedulerCore(string group, SchedulerState state, SchedulerOptions options)
    {
        Group = group;
        _state = state;
        _options = options;
        Policy = options.PolicyFor(group);
        FollowsPlan = string.Equals(Policy.Placement, PlacementPolicy.PlanName, StringComparison.OrdinalIgnoreCase);
        _placement = _beforePlan = FollowsPlan ? FreshDefault() : PlacementPolicy.Create(Policy.Placement, workloadRefresh: options.WorkloadRefresh);
        _order = QueueOrders.Resolve(Policy.Queue);
        _queued.UnionWith(state.Queue.Select(q => q.Session.SessionId));
        foreach (var inFlight in state.InFlight.Values)
        {
            IndexInFlight(inFlight);
        }
    }

    public string Group { get; }

    public SchedulingPolicy Policy { get; }

    /// <summary>Whether the group follows the plan its planner solves (<see cref="ReplanDue"/>, <see cref="Planned"/>).</summary>
    public bool FollowsPlan { get; }

    /// <summary>The scheduler's view of its agents (read-only use: change it through events).</summary>
    public ClusterState Cluster => _cluster;

    public SchedulerState State => _state;

    public SchedulerStatus Status() => new(
        Group,
        Policy.Placement,
        _state.Queue.Select(q => new PendingEntry(q.Session.SessionId, q.Reason, q.Skips)).ToArray(),
        _cluster.Nodes.Count,
        FollowsPlan ? _planStatus : null);

    /// <summary>Under the policy "plan", once per <see cref="SchedulerOptions.Replan"/> and while no solve is out: what
    /// the planner should solve, the view as it is now and the mix observed (the last requests enqueued; after a
    /// restart, until some are, what runs and waits). Null otherwise.</summary>
    public PlanInput? ReplanDue(DateTimeOffset now)
    {
        if (!FollowsPlan || _solving || now < _replanAt) return null;
        var input = PlanInput.Of(_cluster, _state.Queue.Select(q => q.Session.Resources), _arrivals.Items) with { Current = _followed };
        if (input.Nodes.Count == 0 || !input.Observed.Any(p => p.TotalGpuMilli > 0)) return null; // nothing to plan yet
        _solving = true;
        _replanAt = now + _options.Replan;
        return input;
    }

    /// <summary>A fresh instance of what the group places by without a plan, for the planner's trial
    /// (<see cref="PlanInput.Choose"/>).</summary>
    public PlacementPolicy FreshDefault() =>
        PlacementPolicy.Create(PlacementPolicy.DefaultName, workloadRefresh: _options.WorkloadRefresh);

    /// <summary>The planner's answer to the last <see cref="ReplanDue"/>: from now on placements follow the new plan
    /// laid onto the agents in view (agents it does not cover take only work outside it) if it did better than
    /// <see cref="PlacementPolicy.DefaultName"/> and the plan followed in trial; the plan followed, as it lies, if that
    /// did as well as the new one and better than that policy; else that policy. Null (the solve failed) keeps what
    /// was followed.</summary>
    public SchedulerEffects Planned(PlanChoice? choice, DateTimeOffset now)
    {
        _solving = false;
        var effects = new SchedulerEffects();
        if (choice is null) return effects;
        _followed = choice.Follow ? choice.Plan : null;
        var laid = choice.Follow ? choice.Plan.Assign(_cluster) : null;
        if (choice.Kept && laid is not null && laid.Nodes.Keys.ToHashSet().SetEquals(_laid.Nodes.Keys))
        {
            _planStatus = $"{_following}; kept at {now:u}: in trial it held {choice.PlanHeldGpuMilli / 1000.0:0.#} GPUs, " +
                $"a new plan no more, {PlacementPolicy.DefaultName} {choice.DefaultHeldGpuMilli / 1000.0:0.#}";
        }
        else if (laid is not null)
        {
            // A plan kept while agents came or went is laid again, over what runs, so that it covers the agents tried.
            _laid = laid;
            _placement = PlacementPolicy.Following(laid, _options.PlanHold);
            if (!choice.Kept) _followedAt = now;
            var which = choice.Kept ? $"the plan solved at {_followedAt:u}, laid again at {now:u}" : $"a plan solved at {now:u}";
            _planStatus = _following = $"following {which} for {laid.Nodes.Count} of {_cluster.Count} agents";
        }
        else
        {
            var held = $"({choice.PlanHeldGpuMilli / 1000.0:0.#} against {choice.DefaultHeldGpuMilli / 1000.0:0.#})";
            _placement = _beforePlan;
            _planStatus = $"placing as {PlacementPolicy.DefaultName}: " + (choice.Kept
                ? $"neither the plan solved at {now:u} nor the one followed held more of the GPUs in trial {held}"
                : $"the plan solved at {now:u} held no more of the GPUs in trial {held}");
        }
        effects.Notices.Add(_planStatus);
        effects.PlanWanted = true;
        return effects;
    }

    /// <summary>A session asks to be placed; a second Enqueue of a queued or in-flight session changes nothing.</summary>
    public SchedulerEffects Enqueue(PendingSession session)
    {
        var effects = new SchedulerEffects();
        if (_state.InFlight.ContainsKey(session.SessionId) || _queued.Contains(session.SessionId))
        {
            return effects;
        }
        Insert(new QueuedSession(session, 0, "waiting for the scheduler"));
        if (FollowsPlan)
        {
            _arrivals.Add(session.Resources);
        }
        effects.PlanWanted = true;
        effects.Persist = true;
        return effects;
    }

    /// <summary>The session no longer wants a placement: out of the queue, and its in-flight placement (if any) freed.</summary>
    public SchedulerEffects Dequeue(string sessionId)
    {
        var effects = new SchedulerEffects();
        var removed = _queued.Remove(sessionId) && _state.Queue.RemoveAll(q => q.Session.SessionId == sessionId) > 0;
        if (RemoveInFlight(sessionId) is { } inFlight)
        {
            _cluster.Release(inFlight.Placement.AgentId, sessionId);
            effects.Released.Add(new Release(inFlight.Placement, ReleaseCause.Dequeued));
            removed = true;
            effects.PlanWanted = true;
        }
        effects.Persist = removed;
        return effects;
    }

    /// <summary>An agent's snapshot: older versions than the last one seen are dropped, the same version only
    /// proves the agent alive; a newer one replaces the agent's view, with the in-flight placements it does not
    /// show yet applied on top (and those it shows confirmed).</summary>
    public SchedulerEffects Snapshot(AgentSnapshot snapshot, DateTimeOffset now)
    {
        var effects = new SchedulerEffects();
        if (snapshot.ResourceGroup != Group)
        {
            // The agent moved to another group.
            Forget(snapshot.AgentId);
            return effects;
        }
        if (_agents.TryGetValue(snapshot.AgentId, out var known))
        {
            if (snapshot.Version < known.Version)
            {
                return effects;
            }
            known.LastSeen = now;
            if (snapshot.Version == known.Version)
            {
                return effects;
            }
        }
        else
        {
            known = new AgentView { LastSeen = now };
            _agents[snapshot.AgentId] = known;
        }
        known.Version = snapshot.Version;
        _cluster.UpsertAgent(snapshot);
        ReapplyInFlight(snapshot, effects);
        effects.PlanWanted = true;
        return effects;
    }

    /// <summary>The agent refused a placement, or the session could not reach it: the session is queued again, and
    /// the agent stays out of the view until its next snapshot shows its truth (one comes with a refusal, and with
    /// every heartbeat: an agent the session could not reach has nothing new to report, so an unchanged snapshot
    /// must bring it back too).</summary>
    public SchedulerEffects Refused(Placement placement, string reason)
    {
        var effects = new SchedulerEffects();
        if (_state.InFlight.TryGetValue(placement.SessionId, out var inFlight) && inFlight.Placement.AgentId == placement.AgentId)
        {
            RemoveInFlight(placement.SessionId);
            Insert(new QueuedSession(inFlight.Session, 0, $"placement on {placement.AgentId} refused: {reason}"));
            effects.Released.Add(new Release(inFlight.Placement, ReleaseCause.Refused, reason));
        }
        Forget(placement.AgentId);
        effects.PlanWanted = true;
        effects.Persist = true;
        return effects;
    }

    /// <summary>How telling the session about its placement went: true (it took it), false (it declined: already
    /// placed or ended), null (unknown: the call failed). Declined or unknown frees the placement; unknown queues
    /// the session again. An outcome for a placement that is no longer in flight changes nothing.</summary>
    public SchedulerEffects Assigned(InFlightPlacement inFlight, bool? assigned)
    {
        var effects = new SchedulerEffects();
        var placement = inFlight.Placement;
        if (assigned == true || !_state.InFlight.TryGetValue(placement.SessionId, out var current) || !ReferenceEquals(current, inFlight))
        {
            return effects;
        }
        RemoveInFlight(placement.SessionId);
        _cluster.Release(placement.AgentId, placement.SessionId);
        if (assigned is null)
        {
            Insert(new QueuedSession(inFlight.Session, 0, "assignment failed; retrying"));
            effects.Released.Add(new Release(placement, ReleaseCause.AssignFailed));
        }
        else
        {
            effects.Released.Add(new Release(placement, ReleaseCause.Declined));
        }
        _dirty = true;
        effects.PlanWanted = true;
        return effects;
    }

    /// <summary>The periodic check: agents silent for longer than AgentTimeout leave the view, placements no
    /// snapshot confirmed within InFlightTimeout are freed and their sessions queued again (stored by the next <see cref="Plan(DateTimeOffset)"/>, which the
    /// caller runs right after).</summary>
    public SchedulerEffects Tick(DateTimeOffset now)
    {
        var effects = new SchedulerEffects();
        foreach (var (agentId, agent) in _agents.Where(a => now - a.Value.LastSeen > _options.AgentTimeout).ToArray())
        {
            effects.AgentsLost.Add(new LostAgent(agentId, agent.LastSeen));
            Forget(agentId);
        }
        foreach (var inFlight in _state.InFlight.Values.Where(f => now - f.PlacedAt > _options.InFlightTimeout).ToArray())
        {
            RemoveInFlight(inFlight.Placement.SessionId);
            _cluster.Release(inFlight.Placement.AgentId, inFlight.Placement.SessionId);
            // Queued again, never just dropped: the session may never have been told (its Assign lost with a
            // silo), and then it would wait for ever. One that took the placement declines the next Assign.
            Insert(new QueuedSession(inFlight.Session, 0, "placement not confirmed in time; retrying"));
            effects.Released.Add(new Release(inFlight.Placement, ReleaseCause.InFlightTimeout));
            effects.PlanWanted = true;
            _dirty = true;
        }
        return effects;
    }

    /// <summary>After a restart: the in-flight placements restored from storage are told to their sessions again
    /// (the scheduler that made them may have died before its Assign reached them; a session that took one declines
    /// the second, which frees it).</summary>
    public SchedulerEffects Resume()
    {
        var effects = new SchedulerEffects();
        effects.Assign.AddRange(_state.InFlight.Values.OrderBy(f => f.Session.EnqueuedAt));
        return effects;
    }

    /// <summary>A planning pass: the pure plan over the queue and the view, applied to the view. Placed sessions
    /// leave the queue and go in flight (Assign), queued ones whose reason changed are told (PendingReasons).</summary>
    public SchedulerEffects Plan(DateTimeOffset now)
    {
        var effects = new SchedulerEffects();
        if (_state.Queue.Count > 0)
        {
            Plan(now, effects);
        }
        effects.Persist = _dirty;
        _dirty = false;
        return effects;
    }

    private void Plan(DateTimeOffset now, SchedulerEffects effects)
    {
        var queue = _state.Queue;
        var plan = Scheduler.Plan(queue.Select(q => new QueuedRequest(q.Session, q.Skips)).ToArray(), _cluster, Policy.MaxSkips, _placement, _order, now);
        var byId = new Dictionary<string, QueuedSession>(queue.Count, StringComparer.Ordinal);
        foreach (var queued in queue)
        {
            byId.TryAdd(queued.Session.SessionId, queued);
        }
        foreach (var placement in plan.Placements)
        {
            if (!byId.TryGetValue(placement.SessionId, out var queued) || !_queued.Contains(placement.SessionId))
            {
                effects.Anomalies.Add($"the plan placed {placement.SessionId}, which is not queued");
                continue;
            }
            try
            {
                _cluster.Apply(placement);
            }
            catch (InvalidOperationException exception)
            {
                // The plan was computed on this very view, so this is a bug; the session stays queued.
                effects.Anomalies.Add($"the plan's placement of {placement.SessionId} does not apply: {exception.Message}");
                continue;
            }
            var inFlight = new InFlightPlacement(placement, queued.Session, now);
            _state.InFlight = _state.InFlight.SetItem(placement.SessionId, inFlight);
            IndexInFlight(inFlight);
            _queued.Remove(placement.SessionId);
            effects.Assign.Add(inFlight);
            _dirty = true;
        }
        if (effects.Assign.Count > 0)
        {
            queue.RemoveAll(q => !_queued.Contains(q.Session.SessionId));
        }
        for (var i = 0; i < queue.Count; i++)
        {
            var queued = queue[i];
            var id = queued.Session.SessionId;
            if (plan.Skips.TryGetValue(id, out var skips) && skips != queued.Skips)
            {
                queue[i] = queued = queued with { Skips = skips };
                _dirty = true;
            }
            if (plan.PendingReasons.TryGetValue(id, out var reason) && reason != queued.Reason)
            {
                queue[i] = queued with { Reason = reason };
                _dirty = true;
                effects.PendingReasons.Add(new PendingReason(id, reason));
            }
        }
    }

    private void ReapplyInFlight(AgentSnapshot snapshot, SchedulerEffects effects)
    {
        var node = _cluster.Find(snapshot.AgentId)!;
        var held = snapshot.Allocations.Select(a => a.SessionId).ToHashSet();
        if (!_inFlightByAgent.TryGetValue(snapshot.AgentId, out var sessions))
        {
            return;
        }
        foreach (var inFlight in sessions.Select(id => _state.InFlight[id]).ToArray())
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
                // The agent will refuse it (or has already); Refused will tidy up.
                effects.Notices.Add($"in-flight {inFlight.Placement.SessionId} no longer fits {snapshot.AgentId}: {reason}");
            }
        }
    }

    /// <summary>The agent is lost (no liveness heartbeats): it leaves the view until its next snapshot.</summary>
    /// <summary>A lost agent leaves the view; returns the sessions the view had on it.</summary>
    public string[] ForgetAgent(string agentId)
    {
        var sessions = _cluster.Find(agentId)?.Allocations.Select(a => a.SessionId).ToArray() ?? [];
        Forget(agentId);
        return sessions;
    }

    private void Forget(string agentId)
    {
        _agents.Remove(agentId);
        _cluster.RemoveAgent(agentId);
    }

    /// <summary>Keeps the queue oldest first; a new request usually goes last, so the search starts there.</summary>
    private void Insert(QueuedSession queued)
    {
        var queue = _state.Queue;
        var index = queue.Count;
        while (index > 0 && queue[index - 1].Session.EnqueuedAt > queued.Session.EnqueuedAt)
        {
            index--;
        }
        queue.Insert(index, queued);
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
        if (!_state.InFlight.TryGetValue(sessionId, out var inFlight))
        {
            return null;
        }
        _state.InFlight = _state.InFlight.Remove(sessionId);
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
