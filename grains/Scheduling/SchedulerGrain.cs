using System.Diagnostics;
using Granary.Agents;
using Granary.Sessions;
using Granary.SiloPlacement;
using Granary.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Granary.Scheduling;

/// <summary>
/// The scheduler of one resource group: a shell around its <see cref="SchedulerCore"/>, which holds the queue and
/// the view of the group's agents and decides. The grain feeds it events with the current time, stores the state,
/// coalesces planning passes on a timer and carries out the effects: it tells sessions their placement or why they
/// wait, and logs what the core let go.
/// It never awaits another grain inside a turn: Assign is sent from outside the planning turn and the pending
/// reason is one-way. So a session or an agent may always await the scheduler without risking a call cycle.
/// Reentrant, so that a burst of enqueues shares one state write (group commit, see StateWriter): every turn
/// hands its event to the core before its first await, and the core is synchronous, so decisions are still made
/// one at a time on a consistent view.
/// </summary>
[ManagerPlacement, Reentrant]
public sealed class SchedulerGrain(
    [PersistentState("scheduler", GranaryStorage.Name)] IPersistentState<SchedulerState> state,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<SchedulerGrain> logger) : Grain, ISchedulerGrain
{
    private SchedulerCore _core = null!;
    private StateWriter _writer = null!;
    private IGrainTimer? _planTimer;
    private bool _planRequested;
    private SchedulerGauges.GroupRegistration? _gauges;

    private string? _group;
    private string Group => _group ??= this.GetPrimaryKeyString(); // decoded anew on every call otherwise
    private SchedulerOptions Options => options.Value;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _gauges?.Dispose();
        return Task.CompletedTask;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _core = new SchedulerCore(Group, state.State, Options);
        _writer = new StateWriter(Store);
        // Scrapes run off the grain's thread, where Orleans forbids reading state.State: they read this object.
        var scheduler = _core.State;
        _gauges = SchedulerGauges.Track(Group, () => scheduler.Queue.Count, time);
        _planTimer = this.RegisterGrainTimer(PlanPass, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(Options.Interval, Options.Interval) { KeepAlive = true });
        // In a turn of its own (Assign is never awaited inside one): the placements a dead silo's scheduler stored
        // but may never have told.
        this.RegisterGrainTimer(_ => PlanPass(_core.Resume()), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    /// <summary>Stores a copy of the core's state: the ADO.NET storage serializes the state off this grain's thread
    /// (after opening its connection), while later turns of this reentrant grain change the queue in place; storing
    /// the core's own list failed with "Collection was modified" under load.</summary>
    private Task Store()
    {
        state.State = new SchedulerState { Queue = [.. _core.State.Queue], InFlight = _core.State.InFlight };
        return state.WriteStateAsync();
    }

    public Task Enqueue(PendingSession session) => Carry(_core.Enqueue(session));

    public Task Dequeue(string sessionId) => Carry(_core.Dequeue(sessionId));

    public Task ReportAgent(AgentSnapshot snapshot)
    {
        var now = time.GetUtcNow();
        if (snapshot.ResourceGroup == Group)
        {
            _gauges?.Seen(snapshot.AgentId, now);
        }
        else
        {
            _gauges?.Forget(snapshot.AgentId);
        }
        return Carry(_core.Snapshot(snapshot, now));
    }

    public Task PlacementRefused(Placement placement, string reason)
    {
        using (About(placement))
        {
            logger.LogInformation("Group {Group}: {Agent} refused {Session}: {Reason}", Group, placement.AgentId, placement.SessionId, reason);
        }
        return Carry(_core.Refused(placement, reason));
    }

    public Task<string[]> ForgetAgent(string agentId)
    {
        logger.LogWarning("Group {Group}: agent {Agent} is lost; it leaves the view", Group, agentId);
        return Task.FromResult(_core.ForgetAgent(agentId));
    }

    public Task<SchedulerStatus> GetStatus() => Task.FromResult(_core.Status());

    private Task Tick(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Log(_core.Tick(now));
        if (_core.ReplanDue(now) is { } input)
        {
            _ = Replan(input);
        }
        return PlanPass(cancellationToken);
    }

    /// <summary>Solves the plan on the thread pool, off the grain's turns (seconds to minutes: see PlanInput), and hands
    /// it to the core; meanwhile this reentrant grain goes on placing by what it followed before.</summary>
    private async Task Replan(PlanInput input)
    {
        var started = Stopwatch.GetTimestamp();
        logger.LogInformation("Group {Group}: solving a plan for {Agents} agents from {Observed} observed requests",
            Group, input.Nodes.Count, input.Observed.Count);
        PlanChoice? choice = null;
        try
        {
            var byDefault = _core.FreshDefault;
            choice = await Task.Run(() => input.Choose(Options.PlanHold, byDefault));
            logger.LogInformation("Group {Group}: solved a plan for {Agents} agents from {Observed} observed requests in {Seconds:F1} s; " +
                "in trial it held {Plan} milli-GPU (the plan followed, kept: {Kept}), fgd-adaptive {Default}", Group, input.Nodes.Count,
                input.Observed.Count, Stopwatch.GetElapsedTime(started).TotalSeconds, choice?.PlanHeldGpuMilli, choice?.Kept, choice?.DefaultHeldGpuMilli);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Group {Group}: solving the plan failed; placing as before until the next try", Group);
        }
        await Carry(_core.Planned(choice, time.GetUtcNow()));
    }

    private Task PlanPass(CancellationToken cancellationToken)
    {
        _planRequested = false;
        if (_core.State.Queue.Count == 0)
        {
            return PlanPass(_core.Plan(time.GetUtcNow()));
        }
        var started = Stopwatch.GetTimestamp();
        var effects = _core.Plan(time.GetUtcNow());
        var tags = new KeyValuePair<string, object?>("group", Group);
        SchedulerMetrics.PlanDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        SchedulerMetrics.Placed.Add(effects.Assign.Count, tags);
        return PlanPass(effects);
    }

    /// <summary>A planning pass's effects: pending reasons go out one-way, the state is stored, then the placed
    /// sessions are told, without awaiting them in this turn (see the class comment).</summary>
    private async Task PlanPass(SchedulerEffects effects)
    {
        Log(effects);
        SendPendingReasons(effects);
        if (effects.PlanWanted)
        {
            RequestPlan();
        }
        try
        {
            if (effects.Persist)
            {
                await _writer.Write();
            }
        }
        finally
        {
            // Told even when storing failed (the failure still ends the pass, logged by the timer): the core has
            // taken them out of its queue, so a placement not sent now would wait for ever. Stored or not, a
            // second Assign after a restart is declined by a session that took the first.
            foreach (var inFlight in effects.Assign)
            {
                _ = Assign(inFlight);
            }
        }
    }

    /// <summary>An event's effects outside a planning pass: plan soon, store the state when the event changed it.</summary>
    private async Task Carry(SchedulerEffects effects)
    {
        Log(effects);
        if (effects.PlanWanted)
        {
            RequestPlan();
        }
        if (effects.Persist)
        {
            await _writer.Write();
        }
    }

    private async Task Assign(InFlightPlacement inFlight)
    {
        var placement = inFlight.Placement;
        using var scope = About(placement);
        bool? assigned;
        try
        {
            assigned = await GrainFactory.Ref<ISessionGrain>(placement.SessionId).Assign(placement);
            logger.LogDebug("Group {Group}: placed {Session} on {Agent}: {Outcome}", Group, placement.SessionId, placement.AgentId,
                assigned == true ? "accepted" : "the session no longer waits");
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Group {Group}: assigning {Session} to {Agent} failed", Group, placement.SessionId, placement.AgentId);
            assigned = null;
        }
        // The outcome's state change is stored by the planning pass it asks for.
        var effects = _core.Assigned(inFlight, assigned);
        Log(effects);
        if (effects.PlanWanted)
        {
            RequestPlan();
        }
    }

    private void SendPendingReasons(SchedulerEffects effects)
    {
        foreach (var pending in effects.PendingReasons)
        {
            _ = GrainFactory.Ref<ISessionGrain>(pending.SessionId).SetPendingReason(pending.Reason);
        }
    }

    private void RequestPlan()
    {
        if (_planRequested)
        {
            return;
        }
        _planRequested = true;
        _planTimer!.Change(Options.CoalesceDelay, Timeout.InfiniteTimeSpan);
    }

    private IDisposable? About(Placement placement) => logger.BeginSessionScope(placement.SessionId, placement.AgentId, placement.Owner);

    private void Log(SchedulerEffects effects)
    {
        foreach (var lost in effects.AgentsLost)
        {
            logger.LogWarning("Group {Group}: agent {Agent} sent nothing since {LastSeen}; it leaves the view", Group, lost.AgentId, lost.LastSeen);
        }
        foreach (var release in effects.Released.Where(r => r.Cause == ReleaseCause.InFlightTimeout))
        {
            using var scope = About(release.Placement);
            logger.LogWarning("Group {Group}: no snapshot of {Agent} confirmed {Session} in time; queueing it again",
                Group, release.Placement.AgentId, release.Placement.SessionId);
        }
        foreach (var notice in effects.Notices)
        {
            logger.LogInformation("Group {Group}: {Notice}", Group, notice);
        }
        foreach (var anomaly in effects.Anomalies)
        {
            logger.LogError("Group {Group}: {Anomaly}", Group, anomaly);
        }
    }
}
