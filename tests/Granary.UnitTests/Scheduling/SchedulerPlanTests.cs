using Granary.Resources;
using Granary.Scheduling;
using Granary.Scheduling.Replay;
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

        var (harness, _, effects) = FollowingThePlanOfWholeAndShare();
        Assert.True(effects.PlanWanted);
        Assert.StartsWith("following a plan solved at 2026-01-01 00:00:00Z for 2 of 2 agents", harness.Core.Status().Plan);

        harness.Enqueue("s", Share);
        harness.Plan();
        harness.Enqueue("w", Whole);
        harness.Plan();
        Assert.Equal("b", harness.Running["s"].AgentId);
        Assert.Equal("a", harness.Running["w"].AgentId);
    }

    /// <summary>Two agents whose planner solved the plan of a whole GPU and a share (those requests since gone), and
    /// follows it: in trial the default tied with it on this mix (both held 1.5 GPUs); followed here whatever it said.</summary>
    private static (SchedulerHarness Harness, PlanChoice Choice, SchedulerEffects Effects) FollowingThePlanOfWholeAndShare()
    {
        var harness = TwoAgents(PlacementPolicy.PlanName);
        harness.Enqueue("w0", Whole);
        harness.Enqueue("s0", Share);
        var choice = harness.Core.ReplanDue(harness.Now)!.Choose(hold: 0, harness.Core.FreshDefault)!;
        harness.Dequeue("w0");
        harness.Dequeue("s0");
        return (harness, choice, harness.Core.Planned(choice with { Follow = true }, harness.Now));
    }

    [Fact]
    public void A_plan_that_did_worse_than_the_default_in_trial_is_not_followed_and_the_default_places_again()
    {
        var (harness, choice, _) = FollowingThePlanOfWholeAndShare();

        harness.Clock.Advance(TimeSpan.FromMinutes(1));
        var effects = harness.Core.Planned(choice with { Follow = false, PlanHeldGpuMilli = 1000, DefaultHeldGpuMilli = 1500 }, harness.Now);

        Assert.True(effects.PlanWanted);
        Assert.Equal("placing as fgd-adaptive: the plan solved at 2026-01-01 00:01:00Z held no more of the GPUs in trial (1 against 1.5)",
            harness.Core.Status().Plan);
        harness.Enqueue("s", Share);
        harness.Plan();
        Assert.Equal("a", harness.Running["s"].AgentId);   // where the default puts it; the plan's slot is on b
    }

    [Fact]
    public void A_plan_kept_in_trial_goes_on_and_each_next_solve_is_tried_against_it_until_one_is_declined()
    {
        var (harness, choice, _) = FollowingThePlanOfWholeAndShare();
        harness.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Same(choice.Plan, harness.Core.ReplanDue(harness.Now)!.Current);

        harness.Core.Planned(choice with { Follow = true, Kept = true, PlanHeldGpuMilli = 1500, DefaultHeldGpuMilli = 1000 }, harness.Now);

        Assert.Equal("following a plan solved at 2026-01-01 00:00:00Z for 2 of 2 agents; kept at 2026-01-01 00:01:00Z: " +
            "in trial it held 1.5 GPUs, a new plan no more, fgd-adaptive 1", harness.Core.Status().Plan);
        harness.Enqueue("s", Share);
        harness.Plan();
        Assert.Equal("b", harness.Running["s"].AgentId);                  // the plan's slot
        harness.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Same(choice.Plan, harness.Core.ReplanDue(harness.Now)!.Current);
        harness.Core.Planned(choice with { Follow = false, Kept = true }, harness.Now);
        Assert.StartsWith("placing as fgd-adaptive: neither the plan solved at 2026-01-01 00:02:00Z nor the one followed held more",
            harness.Core.Status().Plan);
        harness.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(harness.Core.ReplanDue(harness.Now)!.Current);
    }

    [Fact]
    public void A_plan_kept_after_an_agent_left_is_laid_again_over_the_agents_it_was_tried_on()
    {
        var (harness, choice, _) = FollowingThePlanOfWholeAndShare();
        harness.Clock.Advance(new SchedulerOptions().AgentTimeout + TimeSpan.FromSeconds(1));
        harness.Report(harness.Agents["a"].Snapshot(harness.Now));
        Assert.Single(harness.Core.Tick(harness.Now).AgentsLost);                  // b

        harness.Core.Planned(choice with { Follow = true, Kept = true }, harness.Now);

        Assert.StartsWith("following the plan solved at 2026-01-01 00:00:00Z, laid again at 2026-01-01 00:", harness.Core.Status().Plan);
        Assert.EndsWith(" for 1 of 1 agents", harness.Core.Status().Plan);
    }

    [Fact]
    public void A_new_plan_replaces_the_plan_followed_only_where_it_held_more_of_the_GPUs_in_trial()
    {
        TraceNode[] nodes = [new("a", 8000, 8192, 1, "T4"), new("b", 2000, 8192, 1, "T4")];
        TracePod[] observed = [new("s", 2000, 1024, 1, 500, null), new("w", 6000, 1024, 1, 1000, null)];
        var input = new PlanInput(nodes, observed);
        var best = input.Solve()!;
        // No slot for the shares: held whole (hold 1), the GPUs take none until the whole-GPU request comes.
        var wholeOnly = new PlanInput(nodes, [observed[1]]).Solve()!;
        PlacementPolicy ByDefault() => PlacementPolicy.Create(PlacementPolicy.DefaultName);

        var asGood = (input with { Current = best }).Choose(hold: 1, ByDefault)!;
        var worse = (input with { Current = wholeOnly }).Choose(hold: 1, ByDefault)!;

        Assert.Equal((true, true, 1500L), (asGood.Kept, asGood.Follow, asGood.PlanHeldGpuMilli));
        Assert.Same(best, asGood.Plan);
        Assert.Equal((false, true, 1500L), (worse.Kept, worse.Follow, worse.PlanHeldGpuMilli));
        Assert.NotSame(wholeOnly, worse.Plan);
    }

    [Theory]
    [InlineData(2, 2000, 500, 6000, true, 1500, 1000)]    // the default puts shares where the whole GPU must go
    [InlineData(4, 3000, 300, 4000, false, 1300, 1600)]   // the plan's slots hold less than the default places
    public void The_planner_follows_its_plan_only_where_it_held_more_of_the_GPUs_in_trial(
        int bCores, long shareCpu, int shareMilli, long wholeCpu, bool follow, long planHeld, long defaultHeld)
    {
        TraceNode[] nodes = [new("a", 8000, 8192, 1, "T4"), new("b", bCores * 1000, 8192, 1, "T4")];
        TracePod[] observed = [new("s", shareCpu, 1024, 1, shareMilli, null), new("w", wholeCpu, 1024, 1, 1000, null)];

        var choice = new PlanInput(nodes, observed).Choose(hold: 0, () => PlacementPolicy.Create(PlacementPolicy.DefaultName))!;

        Assert.Equal((follow, planHeld, defaultHeld), (choice.Follow, choice.PlanHeldGpuMilli, choice.DefaultHeldGpuMilli));
    }
}
