using Granary.Scheduling;
using Granary.Scheduling.Replay;

namespace Granary.UnitTests;

/// <summary>The time-based replay on traces small enough to work out by hand.</summary>
public class TimedReplayTests
{
    private static TracePod Gpu(string name, long created, long deleted) => new(name, 1000, 1024, 1, 1000, null, created, deleted);

    [Fact]
    public void Pods_wait_for_room_run_until_deletion_and_leave_unrun_when_deleted_while_waiting()
    {
        // One GPU. a runs 0–100; b waits 10→100 and runs 100–300; c waits 20→50 and is deleted unrun;
        // nothing runs 300–400; d runs 400–500 at once; e arrives at 500 and runs 500–900 (after the window: the
        // allocation is averaged from the first to the last creation, 0–500).
        TraceNode[] nodes = [new("n", 8000, 16384, 1, "T4")];
        TracePod[] pods = [Gpu("a", 0, 100), Gpu("b", 10, 300), Gpu("c", 20, 50), Gpu("d", 400, 500), Gpu("e", 500, 900)];
        var run = TimedReplay.Run(nodes, pods, PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false), FifoOrder.Instance, 16, 42);

        Assert.Equal(5, run.Pods);
        Assert.Equal(1, run.NeverRan);
        Assert.Equal((0 + 90 + 0 + 0) / 4.0, run.MeanPendingSeconds, 9);
        Assert.Equal(90, run.P99PendingSeconds);
        Assert.Equal((90 + 30) / 3600.0, run.WaitingGpuHours, 9);          // b 90 s and c 30 s, one GPU each
        // e arrives as d leaves (departures first): no wait.
        Assert.Equal(400 * 100.0 / 500, run.AllocatedGpuPct, 9);            // busy 0–300 and 400–500 of 0–500
        Assert.Equal(TimedReplay.Slices, run.AllocatedGpuPctOverTime.Count);
        Assert.Equal(100, run.AllocatedGpuPctOverTime[0], 9);
        Assert.Equal(0, run.AllocatedGpuPctOverTime[16], 9);               // slice 16 ≈ 333–354 s: idle
        Assert.Equal(run.AllocatedGpuPct, run.AllocatedGpuPctOverTime.Average(), 1);
    }

    [Fact]
    public void The_queue_order_decides_who_gets_the_freed_gpu()
    {
        // a holds the GPU until 100; b (created 10) and c (created 20) wait. FIFO gives it to b, LIFO to c.
        TraceNode[] nodes = [new("n", 8000, 16384, 1, "T4")];
        TracePod[] pods = [Gpu("a", 0, 100), Gpu("b", 10, 200), Gpu("c", 20, 200)];
        var policy = PlacementPolicy.Create("bestfit", splitShares: false);
        var fifo = TimedReplay.Run(nodes, pods, policy, FifoOrder.Instance, 16, 1);
        var lifo = TimedReplay.Run(nodes, pods, policy, LifoOrder.Instance, 16, 1);
        Assert.Equal(1, fifo.NeverRan);
        Assert.Equal(1, lifo.NeverRan);
        Assert.Equal((0 + 90) / 2.0, fifo.MeanPendingSeconds, 9);          // b waited 90
        Assert.Equal((0 + 80) / 2.0, lifo.MeanPendingSeconds, 9);          // c waited 80
        // b (or c) waits from creation until 200 unrun: the other's wait plus its own.
        Assert.Equal((90 + 180) / 3600.0, fifo.WaitingGpuHours, 9);
        Assert.Equal((80 + 190) / 3600.0, lifo.WaitingGpuHours, 9);
    }

    // With a period of 100 s: rounds at 0 (only a pod without GPUs observed: nothing to plan), 10 (solve), 50 (within
    // the period), 150 (solve again). Every pod fits, so every pod runs at once.
    private static readonly (TraceNode[] Nodes, TracePod[] Pods) TwoSolves = (
        [new("a", 8000, 16384, 1, "T4"), new("b", 4000, 16384, 1, "T4")],
        [new("cpu", 1000, 1024, 0, 0, null, 0, 500), Gpu("w", 10, 500),
            new("s", 1000, 1024, 1, 500, null, 50, 500), new("s2", 1000, 1024, 1, 500, null, 150, 500)]);

    [Fact]
    public void The_planner_in_the_replay_solves_once_a_period_from_what_it_observes()
    {
        var (nodes, pods) = TwoSolves;
        var before = PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false);
        var planner = new Replanner(TimeSpan.FromSeconds(100), hold: 0, before);

        var run = TimedReplay.Run(nodes, pods, before, FifoOrder.Instance, 16, 42, planner.PolicyAt);

        Assert.Equal(2, planner.Solves);
        Assert.Equal((4, 0, 0.0), (run.Pods, run.NeverRan, run.MeanPendingSeconds));
    }

    [Fact]
    public void The_planner_in_the_replay_tries_each_new_plan_against_the_one_it_follows()
    {
        // Solves at 10 and 150; the second is told the first plan held as much, so that plan goes on.
        var (nodes, pods) = TwoSolves;
        var before = PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false);
        var currents = new List<MixPlan?>();
        PlanChoice? first = null;
        var planner = new Replanner(TimeSpan.FromSeconds(100), hold: 0, before, input =>
        {
            if (input.Choose(hold: 0, () => PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false)) is not { } choice) return null;
            currents.Add(input.Current);
            first ??= choice with { Follow = true };
            return currents.Count == 1 ? first : first with { Kept = true };
        });

        TimedReplay.Run(nodes, pods, before, FifoOrder.Instance, 16, 42, planner.PolicyAt);

        Assert.Equal(2, currents.Count);
        Assert.Null(currents[0]);
        Assert.Same(first!.Plan, currents[1]);
        Assert.Equal((2, 0, 1), (planner.Solves, planner.Declined, planner.Kept));
    }

    [Fact]
    public void A_failed_solve_keeps_the_plan_so_far_is_recorded_and_is_tried_again_a_period_later()
    {
        TraceNode[] nodes = [new("a", 8000, 16384, 1, "T4")];
        TracePod[] pods = [Gpu("w", 0, 500), Gpu("x", 50, 500), Gpu("y", 150, 500)];
        var before = PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false);
        var calls = 0;
        var planner = new Replanner(TimeSpan.FromSeconds(100), hold: 0, before,
            input => ++calls == 1 ? throw new InvalidOperationException("the master program ended ABNORMAL") : input.Choose(hold: 0, () => PlacementPolicy.Create(PlacementPolicy.DefaultName, splitShares: false)));

        var run = TimedReplay.Run(nodes, pods, before, FifoOrder.Instance, 16, 42, planner.PolicyAt);

        // Rounds at 0 (fails: the default goes on), 50 (within the period), 150 (solves).
        Assert.Equal(["1970-01-01 00:00:00Z: the master program ended ABNORMAL"], planner.Failures);
        Assert.Equal((2, 1), (calls, planner.Solves));
        Assert.Equal(3, run.Pods);
    }

    [Fact]
    public void Pods_without_times_or_with_no_lifetime_are_left_out()
    {
        TraceNode[] nodes = [new("n", 8000, 16384, 1, "T4")];
        TracePod[] pods = [new("untimed", 1000, 1024, 1, 1000, null), Gpu("instant", 5, 5), Gpu("a", 0, 10), Gpu("b", 10, 20)];
        var run = TimedReplay.Run(nodes, pods, PlacementPolicy.Create("bestfit", splitShares: false), FifoOrder.Instance, 16, 1);
        Assert.Equal(2, run.Pods);
        Assert.Equal(100, run.AllocatedGpuPct, 9);
    }

    [Fact]
    public void Times_are_read_from_the_trace_columns_when_present()
    {
        var pods = TraceCsv.ReadPods(new StringReader(
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time\np,1000,1024,1,500,,LS,Running,7,99\n"));
        Assert.Equal(7, pods[0].CreationTime);
        Assert.Equal(99, pods[0].DeletionTime);
        Assert.Null(TraceCsv.ReadPods(new StringReader("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,0,0\n"))[0].CreationTime);
    }

    [Fact]
    public void Compression_divides_creation_times_and_keeps_run_times()
    {
        TracePod[] pods = [Gpu("a", 1000, 1500), new("untimed", 1000, 1024, 1, 1000, null)];
        var compressed = TimedReplay.Compress(pods, 10);
        Assert.Equal((100L, 600L), (compressed[0].CreationTime!.Value, compressed[0].DeletionTime!.Value));
        Assert.Null(compressed[1].CreationTime);
    }
}
