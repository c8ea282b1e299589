using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Granary.UnitTests.Scheduling;

/// <summary>
/// Drives a <see cref="SchedulerCore"/> the way its grain does, with a fake clock and fake agents whose truth is a
/// NodeState (Nomad's scheduler harness is the model): every effect is carried out by hand, so a test decides when
/// snapshots arrive, in which order, and what an agent answers. Deterministic: no thread, no timer, no wall clock.
/// </summary>
internal sealed class SchedulerHarness
{
    public SchedulerHarness(string policy = PlacementPolicy.DefaultName, SchedulerOptions? options = null)
    {
        Options = options ?? new SchedulerOptions { Policy = policy };
        Core = new SchedulerCore("default", new SchedulerState(), Options);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public SchedulerOptions Options { get; }
    public SchedulerCore Core { get; }
    public Dictionary<string, FakeAgent> Agents { get; } = new(StringComparer.Ordinal);

    /// <summary>Sessions an agent accepted (the session started there), by session id.</summary>
    public Dictionary<string, Placement> Running { get; } = new(StringComparer.Ordinal);

    /// <summary>The last pending reason each session was told.</summary>
    public Dictionary<string, string> Reasons { get; } = new(StringComparer.Ordinal);

    public List<Release> Released { get; } = [];
    public List<LostAgent> Lost { get; } = [];
    public List<(Placement Placement, string Reason)> Refusals { get; } = [];
    public int Writes { get; private set; }
    public bool PlanWanted { get; private set; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public FakeAgent AddAgent(string id, AgentCapacity capacity, bool report = true)
    {
        var agent = new FakeAgent(id, capacity);
        Agents[id] = agent;
        if (report) Report(agent.Snapshot(Now));
        return agent;
    }

    public void Enqueue(string sessionId, ResourceRequest request, string owner = "alice") =>
        Carry(Core.Enqueue(new PendingSession(sessionId, owner, request, 0, Now)));

    public void Dequeue(string sessionId) => Carry(Core.Dequeue(sessionId));

    public void Report(AgentSnapshot snapshot) => Carry(Core.Snapshot(snapshot, Now));

    /// <summary>Every agent reports its current truth.</summary>
    public void ReportAll()
    {
        foreach (var agent in Agents.Values) Report(agent.Snapshot(Now));
    }

    /// <summary>A planning pass; each placement is told to its session, which starts it on its agent (the agent
    /// admits it against its truth or refuses, and the refusal comes back as the session would send it).</summary>
    public SchedulerEffects Plan()
    {
        PlanWanted = false;
        var effects = Core.Plan(Now);
        Carry(effects);
        foreach (var inFlight in effects.Assign) Deliver(inFlight);
        return effects;
    }

    /// <summary>Under the policy "plan", when the planner is due: it solves and tries the plan as the grain does (here on
    /// the caller's thread) and the core takes its choice. Whether it was due.</summary>
    public bool Replan()
    {
        if (Core.ReplanDue(Now) is not { } input) return false;
        Carry(Core.Planned(input.Choose(Options.PlanHold, Core.FreshDefault), Now));
        return true;
    }

    /// <summary>Time passes; the periodic tick runs and plans.</summary>
    public SchedulerEffects Tick(TimeSpan elapsed)
    {
        Clock.Advance(elapsed);
        Carry(Core.Tick(Now));
        return Plan();
    }

    /// <summary>A session that ends: its agent frees it; the scheduler hears of it by the agent's next snapshot.</summary>
    public void Finish(string sessionId)
    {
        if (!Running.Remove(sessionId, out var placement)) return;
        var agent = Agents[placement.AgentId];
        agent.Truth.Release(sessionId);
        agent.Version++;
    }

    private void Deliver(InFlightPlacement inFlight)
    {
        var placement = inFlight.Placement;
        Carry(Core.Assigned(inFlight, assigned: true));
        var agent = Agents[placement.AgentId];
        if (agent.Truth.TryApply(placement, out var reason))
        {
            agent.Version++;
            Running[placement.SessionId] = placement;
            return;
        }
        // The agent refuses with a fresh snapshot (a new version) on its way.
        agent.Version++;
        Refusals.Add((placement, reason ?? "does not fit"));
        Carry(Core.Refused(placement, reason ?? "does not fit"));
    }

    private void Carry(SchedulerEffects effects)
    {
        foreach (var pending in effects.PendingReasons) Reasons[pending.SessionId] = pending.Reason;
        Released.AddRange(effects.Released);
        Lost.AddRange(effects.AgentsLost);
        Assert.Empty(effects.Anomalies);
        if (effects.Persist) Writes++;
        PlanWanted |= effects.PlanWanted;
    }
}

/// <summary>An agent's truth: what it holds, with the version its next snapshot carries.</summary>
internal sealed class FakeAgent(string id, AgentCapacity capacity)
{
    public string Id { get; } = id;
    public NodeState Truth { get; } = new(id, capacity, []);
    public long Version { get; set; } = 1;

    public AgentSnapshot Snapshot(DateTimeOffset at) =>
        new(Id, "default", Truth.Capacity, Truth.Allocations.ToArray(), [], "harness", Version, at);
}
