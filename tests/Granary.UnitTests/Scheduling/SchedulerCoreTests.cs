using Granary.Agents;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests.Scheduling;

/// <summary>The scheduler's logic through its harness: a fake clock, fake agents, every effect by hand.</summary>
public sealed class SchedulerCoreTests
{
    [Fact]
    public void A_refused_placement_queues_the_session_again_and_keeps_the_agent_out_until_it_reports()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16));
        harness.AddAgent("b", Capacity(2, 16));
        // Out of band, a takes work its last snapshot does not show: the scheduler's view of it is stale.
        Assert.True(a.Truth.TryApply(new Placement("other", "a", 3000, GiB, []), out _));

        harness.Enqueue("s1", Request(3, 1));
        harness.Plan();

        var (refused, reason) = Assert.Single(harness.Refusals);
        Assert.Equal(("s1", "a"), (refused.SessionId, refused.AgentId));
        Assert.Contains("insufficient CPU", reason);
        Assert.DoesNotContain("s1", harness.Running.Keys);
        Assert.Equal("s1", Assert.Single(harness.Core.State.Queue).Session.SessionId);
        Assert.StartsWith("placement on a refused: insufficient CPU", harness.Core.State.Queue[0].Reason);
        Assert.Null(harness.Core.Cluster.Find("a"));
        Assert.True(harness.PlanWanted);

        // b cannot hold it either; a's fresh snapshot brings it back, still too full.
        harness.Plan();
        Assert.StartsWith("insufficient CPU", harness.Reasons["s1"]);
        harness.Report(a.Snapshot(harness.Now));
        harness.Plan();
        Assert.Single(harness.Refusals);
        Assert.DoesNotContain("s1", harness.Running.Keys);

        // Once a frees what it held and says so, the session goes there.
        a.Truth.Release("other");
        a.Version++;
        harness.Report(a.Snapshot(harness.Now));
        harness.Plan();
        Assert.Equal("a", harness.Running["s1"].AgentId);
        Assert.Empty(harness.Core.State.Queue);
    }

    [Fact]
    public void An_agent_a_session_could_not_reach_comes_back_with_its_next_snapshot_even_an_unchanged_one()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16));
        var seen = a.Version;
        harness.Enqueue("s1", Request(1, 1));
        harness.Plan();
        var placed = harness.Running["s1"];
        // The session's start call failed (the agent's storage was down, say): the agent never got it, so its truth
        // and version stay as the scheduler last saw them, and the session reports the placement refused.
        a.Truth.Release("s1");
        a.Version = seen;
        harness.Running.Remove("s1");
        harness.Core.Refused(placed, "agent unreachable");
        Assert.Null(harness.Core.Cluster.Find("a"));

        harness.Report(a.Snapshot(harness.Now)); // the agent's next heartbeat, nothing new in it
        harness.Plan();

        Assert.Equal("a", harness.Running["s1"].AgentId);
        Assert.Empty(harness.Core.State.Queue);
    }

    [Fact]
    public void An_in_flight_placement_no_snapshot_confirms_is_queued_again_after_the_timeout()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16));
        harness.Enqueue("s1", Request(3, 1));
        harness.Plan();
        // The Assign never reached the session (lost with the silo that sent it): the agent does not hold it.
        a.Truth.Release("s1");
        harness.Running.Remove("s1");

        // Snapshots without it keep it in flight (applied on top of the agent's view) until the timeout.
        harness.Clock.Advance(TimeSpan.FromSeconds(270));
        a.Version++;
        harness.Report(a.Snapshot(harness.Now));
        Assert.Equal(1000, harness.Core.Cluster.Find("a")!.FreeCpuMilli);
        harness.Tick(TimeSpan.FromSeconds(29)); // 4:59 in flight
        Assert.Contains("s1", harness.Core.State.InFlight.Keys);
        Assert.DoesNotContain("s1", harness.Running.Keys);

        harness.Tick(TimeSpan.FromSeconds(2)); // 5:01 in flight: freed, queued again and placed by the tick's plan

        var released = Assert.Single(harness.Released);
        Assert.Equal((ReleaseCause.InFlightTimeout, "s1"), (released.Cause, released.Placement.SessionId));
        Assert.Equal("a", harness.Running["s1"].AgentId);
        Assert.Empty(harness.Core.State.Queue);
    }

    [Fact]
    public void A_restarted_scheduler_tells_the_placements_it_had_in_flight_again()
    {
        var harness = new SchedulerHarness("bestfit");
        harness.AddAgent("a", Capacity(4, 16));
        harness.Enqueue("s1", Request(1, 1));
        harness.Clock.Advance(TimeSpan.FromMilliseconds(1));
        harness.Enqueue("s2", Request(1, 1));
        var placed = harness.Core.Plan(harness.Now); // stored, then the silo died before its Assigns went out
        Assert.Equal(2, placed.Assign.Count);
        Assert.True(placed.Persist);

        var restarted = new SchedulerCore("default", harness.Core.State, harness.Options);
        var resumed = restarted.Resume();

        Assert.Equal(["s1", "s2"], resumed.Assign.Select(f => f.Placement.SessionId));
        Assert.Equal("a", resumed.Assign[0].Placement.AgentId);
        // s1 took it; s2's manager was unreachable: s2 is queued again, not left waiting for the scheduler.
        restarted.Assigned(resumed.Assign[0], assigned: true);
        restarted.Assigned(resumed.Assign[1], assigned: null);
        Assert.Equal("s2", Assert.Single(restarted.State.Queue).Session.SessionId);
        Assert.Equal(["s1"], restarted.State.InFlight.Keys);
    }

    [Fact]
    public void A_snapshot_confirming_an_in_flight_placement_ends_its_flight_but_not_its_hold()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16));
        harness.Enqueue("s1", Request(3, 1));
        harness.Plan();
        Assert.Contains("s1", harness.Core.State.InFlight.Keys);

        harness.Report(a.Snapshot(harness.Now));
        harness.Tick(TimeSpan.FromSeconds(30));

        Assert.Empty(harness.Core.State.InFlight);
        Assert.Empty(harness.Released);
        Assert.Equal(1000, harness.Core.Cluster.Find("a")!.FreeCpuMilli);
    }

    [Fact]
    public void Stale_and_reordered_snapshots_are_dropped_and_the_newest_wins()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16), report: false);
        Assert.True(a.Truth.TryApply(new Placement("x", "a", 3000, GiB, []), out _));
        var v1 = a.Snapshot(harness.Now);
        a.Truth.Release("x");
        a.Version = 2;
        var v2 = a.Snapshot(harness.Now);

        harness.Report(v2);
        harness.Report(v1); // arrives late

        Assert.Equal(4000, harness.Core.Cluster.Find("a")!.FreeCpuMilli);
        harness.Enqueue("s1", Request(4, 1));
        harness.Plan();
        Assert.Equal("a", harness.Running["s1"].AgentId);
        Assert.Empty(harness.Refusals);

        // The same version again changes nothing but proves the agent alive.
        harness.Clock.Advance(TimeSpan.FromSeconds(30));
        harness.Report(v2);
        harness.Tick(TimeSpan.FromSeconds(30)); // 60 s after v2 was first seen, 30 s after it was seen again
        Assert.Empty(harness.Lost);
        Assert.NotNull(harness.Core.Cluster.Find("a"));
        Assert.Contains("s1", harness.Core.State.InFlight.Keys); // v2 does not show s1, which stays applied on top
        Assert.Equal(0, harness.Core.Cluster.Find("a")!.FreeCpuMilli);
    }

    [Fact]
    public void An_agent_that_stops_reporting_leaves_the_view_and_comes_back_when_it_reports()
    {
        var harness = new SchedulerHarness("bestfit");
        var a = harness.AddAgent("a", Capacity(4, 16));

        harness.Tick(TimeSpan.FromSeconds(30));
        Assert.Empty(harness.Lost);
        harness.Tick(TimeSpan.FromSeconds(11)); // 41 s of silence > AgentTimeout (40 s)

        var lost = Assert.Single(harness.Lost);
        Assert.Equal("a", lost.AgentId);
        Assert.Null(harness.Core.Cluster.Find("a"));
        harness.Enqueue("s1", Request(1, 1));
        harness.Plan();
        Assert.Equal("no agents in resource group", harness.Reasons["s1"]);

        harness.Report(a.Snapshot(harness.Now));
        harness.Plan();
        Assert.Equal("a", harness.Running["s1"].AgentId);
    }

    [Fact]
    public void A_burst_of_enqueues_is_planned_in_one_pass_oldest_first()
    {
        var harness = new SchedulerHarness("bestfit");
        harness.AddAgent("a", Capacity(64, 256));
        harness.AddAgent("b", Capacity(64, 256));
        for (var i = 0; i < 500; i++)
        {
            harness.Enqueue($"s{i:000}", Request(0.25, 1));
            harness.Enqueue($"s{i:000}", Request(0.25, 1)); // a duplicate changes nothing
            harness.Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.Equal(500, harness.Writes);
        Assert.True(harness.PlanWanted);

        var effects = harness.Plan();

        Assert.Equal(500, effects.Assign.Count);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"s{i:000}"), effects.Assign.Select(f => f.Placement.SessionId));
        Assert.Empty(harness.Core.State.Queue);
        Assert.Empty(harness.Refusals);
        Assert.True(effects.Persist);
    }

    [Fact]
    public void Dequeue_frees_an_in_flight_placement_and_asks_for_a_plan()
    {
        var harness = new SchedulerHarness("bestfit");
        harness.AddAgent("a", Capacity(4, 16));
        harness.Enqueue("s1", Request(4, 1));
        harness.Enqueue("s2", Request(4, 1));
        harness.Plan();
        Assert.Contains("CPU", harness.Reasons["s2"]);

        harness.Finish("s1"); // the session ended: its agent frees it, and the session leaves the scheduler
        harness.Dequeue("s1");

        var released = Assert.Single(harness.Released);
        Assert.Equal((ReleaseCause.Dequeued, "s1"), (released.Cause, released.Placement.SessionId));
        Assert.True(harness.PlanWanted);
        harness.Plan();
        Assert.Equal("a", harness.Running["s2"].AgentId);
    }

    [Fact]
    public void A_failed_assignment_queues_the_session_again_and_a_declined_one_frees_it()
    {
        var harness = new SchedulerHarness("bestfit");
        harness.AddAgent("a", Capacity(4, 16));
        harness.Enqueue("s1", Request(1, 1));
        harness.Enqueue("s2", Request(1, 1));
        var effects = harness.Core.Plan(harness.Now);
        var (first, second) = (effects.Assign[0], effects.Assign[1]);

        var failed = harness.Core.Assigned(first, assigned: null);
        var declined = harness.Core.Assigned(second, assigned: false);
        var late = harness.Core.Assigned(second, assigned: false); // no longer in flight: nothing

        Assert.Equal(ReleaseCause.AssignFailed, Assert.Single(failed.Released).Cause);
        Assert.Equal(ReleaseCause.Declined, Assert.Single(declined.Released).Cause);
        Assert.Empty(late.Released);
        Assert.Equal(["s1"], harness.Core.State.Queue.Select(q => q.Session.SessionId));
        Assert.Equal("assignment failed; retrying", harness.Core.State.Queue[0].Reason);
        Assert.Equal(4000, harness.Core.Cluster.Find("a")!.FreeCpuMilli);
        Assert.True(harness.Core.Plan(harness.Now).Persist);
    }
}
