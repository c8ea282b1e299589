using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests.Scheduling;

/// <summary>The policy "plan" in the scheduler core: what it hands its planner (<see cref="SchedulerCore.ReplanDue"/>,
/// <see cref="PlanInput"/>) and how placements change once the plan comes back (<see cref="SchedulerCore.Planned"/>).</summary>
public class SchedulerPlanTests
{
    // Agent a has the cores for the whole-GPU request, b does not: the only packing that holds both kinds puts the
    // whole GPU on a and the share on b. A share that goes to a first leaves the whole GPU nowhere to run.
    private static readonly ResourceRequest Whole = Request(6, 1, gpus: 1);
    private static readonly ResourceRequest Share = Request(1, 1, fgpuMilli: 500);

    private static SchedulerHarness TwoAgents(string policy)
    {
        var harness = new SchedulerHarness(options: new SchedulerOptions { Policy = policy, Replan = TimeSpan.FromMinutes(1) });
        harness.AddAgent("a", Capacity(8, 8, gpus: 1, prefix: "a"));
        harness.AddAgent("b", Capacity(4, 8, gpus: 1, prefix: "b"));
        return harness;
    }

    [Fact]
    public void The_planner_gets_the_agents_and_the_observed_mix_once_per_period_and_one_solve_at_a_time()
    {
        var harness = TwoAgents(PlacementPolicy.PlanName);
        Assert.Null(harness.Core.ReplanDue(harness.Now));                 // nothing observed asks for a GPU yet
        harness.Enqueue("w", Whole);
        harness.Enqueue("cpu", Request(2, 1));

        var input = harness.Core.ReplanDue(harness.Now)!;
        Assert.Equal(["a", "b"], input.Nodes.Select(n => n.Name).ToArray());
        Assert.Equal([(6000L, 1024L, 1, 1000), (2000L, 1024L, 0, 0)],
            input.Observed.Select(p => (p.CpuMilli, p.MemoryMib, p.NumGpu, p.GpuMilli)).ToArray());
        Assert.Null(harness.Core.ReplanDue(harness.Now));                 // that solve is still out
        harness.Core.Planned(null, harness.Now);                          // it failed: followed nothing, due in a minute
        Assert.Null(harness.Core.ReplanDue(harness.Now + TimeSpan.FromSeconds(59)));
        Assert.NotNull(harness.Core.ReplanDue(harness.Now + TimeSpan.FromMinutes(1)));
        Assert.StartsWith("no plan yet", harness.Core.Status().Plan);
        Assert.Null(TwoAgents(PlacementPolicy.DefaultName).Core.ReplanDue(harness.Now));
    }

    [Fact]
    public void The_planner_plans_for_the_requests_it_was_asked_to_place_not_only_for_what_runs_now()
    {
        var harness = TwoAgents(PlacementPolicy.PlanName);
        harness.Enqueue("s", Share);
        harness.Plan();                                                   // s runs
        harness.Enqueue("w", Whole);
        harness.Dequeue("w");                                             // w gave up before it was placed

        var input = harness.Core.ReplanDue(harness.Now)!;
        Assert.Equal([(1000L, 1024L, 1, 500), (6000L, 1024L, 1, 1000)],
            input.Observed.Select(p => (p.CpuMilli, p.MemoryMib, p.NumGpu, p.GpuMilli)).ToArray());
    }

    [Fact]
    public void The_observed_mix_repeats_up_to_the_GPU_capacity_and_the_plan_keeps_the_whole_GPU_where_it_fits()
    {
        var harness = TwoAgents(PlacementPolicy.PlanName);
        harness.Enqueue("w", Whole);
        harness.Enqueue("s", Share);
        var input = harness.Core.ReplanDue(harness.Now)!;

        // Whole, share, whole asks for 2,500 milli of the 2,000 (the arrival-only replay's 100 % point): the best
        // packing holds a whole GPU on a and a share on b.
        var plan = input.Solve()!.Assign(harness.Core.Cluster).Nodes;
        var a = harness.Core.Cluster.Find("a")!;
        var b = harness.Core.Cluster.Find("b")!;
        Assert.NotNull(plan["a"].OpenSlot(a, Whole));
        Assert.Null(plan["a"].OpenSlot(a, Share));
        Assert.NotNull(plan["b"].OpenSlot(b, Share));
        Assert.Null(new PlanInput(input.Nodes, []).Solve());              // nothing to plan
    }

    [Fact]
    public void Once_the_plan_is_back_a_share_takes_its_slot_and_the_whole_GPU_still_runs()
    {
        // Without a plan the default puts the share on a, and the whole GPU then fits nowhere.
        var unplanned = TwoAgents(PlacementPolicy.PlanName);
        unplanned.Enqueue("s", Share);
        unplanned.Plan();
        Assert.Equal("a", unplanned.Running["s"].AgentId);
        unplanned.Enqueue("w", Whole);
        unplanned.Plan();
        Assert.DoesNotContain("w", unplanned.Running.Keys);

        var harness = TwoAgents(PlacementPolicy.PlanName);
        harness.Enqueue("w0", Whole);
        harness.Enqueue("s0", Share);
        var plan = harness.Core.ReplanDue(harness.Now)!.Solve();
        harness.Dequeue("w0");
        harness.Dequeue("s0");
        var effects = harness.Core.Planned(plan, harness.Now);
        Assert.True(effects.PlanWanted);
        Assert.StartsWith("following a plan solved at 2026-01-01 00:00:00Z for 2 of 2 agents", harness.Core.Status().Plan);

        harness.Enqueue("s", Share);
        harness.Plan();
        harness.Enqueue("w", Whole);
        harness.Plan();
        Assert.Equal("b", harness.Running["s"].AgentId);
        Assert.Equal("a", harness.Running["w"].AgentId);
    }
}
