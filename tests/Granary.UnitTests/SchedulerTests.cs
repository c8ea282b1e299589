using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class SchedulerTests
{
    private static readonly SchedulingPolicy BestFit = new("bestfit", "fifo", MaxSkips: 2);
    private static readonly SchedulingPolicy WorstFit = new("worstfit", "fifo", MaxSkips: 2);

    private static string Where(SchedulePlan plan, string sessionId) =>
        plan.Placements.SingleOrDefault(p => p.SessionId == sessionId)?.AgentId ?? "pending";

    [Fact]
    public void Places_in_fifo_order_by_enqueue_time()
    {
        var cluster = Cluster(Node("a", 4, 16));
        // Listed out of order: "late" was enqueued after "early"; only one fits.
        QueuedRequest[] queue = [Queued("late", Request(3, 1), order: 2), Queued("early", Request(3, 1), order: 1)];

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        Assert.Equal(["early"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Contains("insufficient CPU", plan.PendingReasons["late"]);
    }

    [Fact]
    public void Head_of_line_skip_lets_smaller_later_requests_pass_and_counts_skips()
    {
        var cluster = Cluster(Node("a", 4, 16));
        var queue = Queue(("big", Request(8, 1)), ("s1", Request(1, 1)), ("s2", Request(1, 1)));

        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy(MaxSkips: 5));

        Assert.Equal(["s1", "s2"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Equal(2, plan.Skips["big"]);
        Assert.Equal(["big"], plan.PendingReasons.Keys.ToArray());
    }

    [Fact]
    public void After_max_skips_the_node_closest_to_fitting_is_kept_and_the_rest_flow_elsewhere()
    {
        // big needs 4 cores and a GPU: it fits a (4 cores, 1 running) once 1 core is freed, b (no GPU) never.
        var cluster = Cluster(Node("a", 4, 16, gpus: 1), Node("b", 8, 16));
        cluster.Apply(new Placement("r1", "a", 1000, GiB, []));
        var queue = Queue(("big", Request(4, 1, gpus: 1)), ("s1", Request(1, 1)), ("s2", Request(1, 1)), ("s3", Request(1, 1)), ("s4", Request(1, 1)));

        var plan = Scheduler.Plan(queue, cluster, BestFit); // MaxSkips 2

        // Best fit puts s1 and s2 on a (the fuller); then big has been passed twice, a is kept, s3 and s4 go to b.
        Assert.Equal([("s1", "a"), ("s2", "a"), ("s3", "b"), ("s4", "b")], plan.Placements.Select(p => (p.SessionId, p.AgentId)).ToArray());
        Assert.Equal(2, plan.Skips["big"]);
        Assert.Contains("agent a takes no other work until it fits", plan.PendingReasons["big"]);
    }

    [Fact]
    public void A_request_whose_only_room_is_the_kept_node_waits_behind_the_one_it_is_kept_for()
    {
        var cluster = Cluster(Node("a", 4, 16), Node("b", 4, 16));
        cluster.Apply(new Placement("r1", "a", 1000, GiB, []));
        cluster.Apply(new Placement("r2", "b", 4000, GiB, []));
        QueuedRequest[] queue = [Queued("big", Request(4, 1), 0, skips: 2), Queued("small", Request(1, 1), 1)];

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        Assert.Empty(plan.Placements);
        Assert.Contains("waiting behind an earlier session", plan.PendingReasons["small"]);
        Assert.Contains("agent a, the only one with room, is kept for it", plan.PendingReasons["small"]);
        Assert.DoesNotContain("big", plan.PendingReasons["small"]);   // perhaps another user's session
    }

    [Fact]
    public void A_request_that_fits_no_node_even_empty_keeps_nothing_and_blocks_nothing()
    {
        var cluster = Cluster(Node("a", 4, 16));
        var queue = Queue(("huge", Request(8, 1)), ("s1", Request(1, 1)), ("s2", Request(1, 1)), ("s3", Request(1, 1)));

        var plan = Scheduler.Plan(queue, cluster, BestFit); // MaxSkips 2

        Assert.Equal(["s1", "s2", "s3"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Equal(2, plan.Skips["huge"]);
        Assert.Contains("insufficient CPU", plan.PendingReasons["huge"]);
    }

    [Fact]
    public void A_request_already_at_max_skips_blocks_the_queue_until_it_is_placed()
    {
        var cluster = Cluster(Node("a", 4, 16));
        QueuedRequest[] queue = [Queued("big", Request(4, 1), 0, skips: 2), Queued("small", Request(1, 1), 1)];
        cluster.Apply(new Placement("running", "a", 1000, GiB, []));

        var blocked = Scheduler.Plan(queue, cluster, BestFit);
        Assert.Empty(blocked.Placements);
        Assert.Contains("waiting behind an earlier session", blocked.PendingReasons["small"]);
        Assert.Equal(2, blocked.Skips["big"]);

        cluster.Release("a", "running"); // capacity frees: the big one goes first
        var plan = Scheduler.Plan(queue, cluster, BestFit);
        Assert.Equal(["big"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Contains("insufficient CPU", plan.PendingReasons["small"]);
    }

    [Fact]
    public void Skip_bound_stops_starvation_over_many_rounds()
    {
        // A stream of small requests keeps a 1-core node busy; the 4-core request must get the node once it drains.
        var cluster = Cluster(Node("a", 4, 16));
        var policy = new SchedulingPolicy(MaxSkips: 3);
        var queue = new List<QueuedRequest> { Queued("big", Request(4, 1), 0) };
        var running = new List<string>();
        var next = 1;
        string? bigPlacedInRound = null;
        var placedAfterBlock = 0;

        for (var round = 0; round < 20 && bigPlacedInRound is null; round++)
        {
            while (queue.Count < 4) queue.Add(Queued($"s{next}", Request(1, 1), next++));
            var plan = Scheduler.Plan(queue, cluster, policy);
            var bigSkips = plan.Skips.GetValueOrDefault("big");
            Assert.True(bigSkips <= policy.MaxSkips, $"round {round}: big skipped {bigSkips} times");
            if (queue.Single(q => q.Session.SessionId == "big").Skips >= policy.MaxSkips)
                placedAfterBlock += plan.Placements.Count(p => p.SessionId != "big");

            foreach (var placement in plan.Placements)
            {
                cluster.Apply(placement);
                if (placement.SessionId == "big") bigPlacedInRound = $"round {round}";
                else running.Add(placement.SessionId);
            }
            queue = Remaining(queue, plan);

            // Each round the oldest small session finishes.
            if (running.Count > 0) { cluster.Release("a", running[0]); running.RemoveAt(0); }
        }

        Assert.NotNull(bigPlacedInRound);
        Assert.Equal(0, placedAfterBlock);
    }

    [Fact]
    public void A_kept_node_drains_for_the_blocked_request_while_the_stream_runs_on_the_other_node()
    {
        // Two 4-core nodes, small sessions arriving and ending round by round: the 4-core request gets a node, and
        // small sessions keep being placed (on the other node) while it waits.
        var cluster = Cluster(Node("a", 4, 16), Node("b", 4, 16));
        var running = new List<Placement> { new("r1", "a", 1000, GiB, []), new("r2", "b", 1000, GiB, []) };
        foreach (var placement in running) cluster.Apply(placement);
        var policy = new SchedulingPolicy("bestfit", "fifo", MaxSkips: 3);
        var queue = new List<QueuedRequest> { Queued("big", Request(4, 1), 0) };
        var next = 1;
        string? bigPlacedInRound = null;
        var placedWhileKept = 0;

        for (var round = 0; round < 20 && bigPlacedInRound is null; round++)
        {
            while (queue.Count < 4) queue.Add(Queued($"s{next}", Request(1, 1), next++));
            var plan = Scheduler.Plan(queue, cluster, policy);
            if (plan.PendingReasons.GetValueOrDefault("big")?.Contains("takes no other work", StringComparison.Ordinal) == true)
                placedWhileKept += plan.Placements.Count;
            foreach (var placement in plan.Placements)
            {
                cluster.Apply(placement);
                if (placement.SessionId == "big") bigPlacedInRound = $"round {round}";
                else running.Add(placement);
            }
            queue = Remaining(queue, plan);

            // Each round the oldest session finishes.
            if (running.Count > 0) { cluster.Release(running[0].AgentId, running[0].SessionId); running.RemoveAt(0); }
        }

        Assert.NotNull(bigPlacedInRound);
        Assert.True(placedWhileKept > 0, "nothing was placed while a node was kept for the blocked request");
    }

    private static ClusterState TwoSizes() => Cluster(
        Node("a-small", 4, 16, gpus: 2),
        Node("b-large", 16, 64, gpus: 8),
        Node("c-medium", 8, 32, gpus: 4));

    [Fact]
    public void Best_fit_picks_the_node_left_with_least_and_worst_fit_the_most()
    {
        var queue = Queue(("s", Request(2, 4, gpus: 1)));

        Assert.Equal("a-small", Where(Scheduler.Plan(queue, TwoSizes(), BestFit), "s"));
        Assert.Equal("b-large", Where(Scheduler.Plan(queue, TwoSizes(), WorstFit), "s"));
    }

    [Fact]
    public void Best_fit_without_gpu_ranks_by_cpu_and_memory()
    {
        var cluster = Cluster(Node("a", 8, 32), Node("b", 8, 32), Node("c", 8, 32));
        cluster.Apply(new Placement("x", "b", 6000, 8 * GiB, []));
        cluster.Apply(new Placement("y", "c", 1000, 16 * GiB, []));
        var queue = Queue(("s", Request(1, 4)));

        Assert.Equal("b", Where(Scheduler.Plan(queue, cluster, BestFit), "s"));
        Assert.Equal("a", Where(Scheduler.Plan(queue, cluster, WorstFit), "s"));
    }

    [Fact]
    public void Best_fit_is_gpu_dominant_when_a_gpu_is_asked()
    {
        // "a" has little CPU left but two free GPUs; "b" has lots of CPU but one free GPU: b is the tighter GPU fit.
        var cluster = Cluster(Node("a", 8, 32, gpus: 2), Node("b", 64, 256, gpus: 2));
        cluster.Apply(new Placement("x", "a", 7000, GiB, []));
        cluster.Apply(new Placement("y", "b", 1000, GiB, [new GpuShare("b-gpu-0", 1000)]));

        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, gpus: 1))), cluster, BestFit);

        Assert.Equal("b", Where(plan, "s"));
        Assert.Equal([new GpuShare("b-gpu-1", 1000)], plan.Placements[0].Gpus);
    }

    [Fact]
    public void Ties_are_broken_by_agent_id()
    {
        var cluster = Cluster(Node("n2", 4, 8), Node("n1", 4, 8), Node("n3", 4, 8));
        var queue = Queue(("s", Request(1, 1)));

        Assert.Equal("n1", Where(Scheduler.Plan(queue, cluster, BestFit), "s"));
        Assert.Equal("n1", Where(Scheduler.Plan(queue, cluster, WorstFit), "s"));
    }

    [Fact]
    public void Gpu_model_constraint_is_honoured()
    {
        var cluster = Cluster(Node("a", 8, 32, gpus: 1, model: "V100M16"), Node("b", 64, 256, gpus: 8, model: "V100M32"));

        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, gpus: 1, models: ["V100M16"]))), cluster, WorstFit);
        Assert.Equal("a", Where(plan, "s"));

        var none = Scheduler.Plan(Queue(("t", Request(1, 1, gpus: 1, models: ["A100"]))), cluster, BestFit);
        Assert.Empty(none.Placements);
        Assert.Equal("no agent with GPU model A100", none.PendingReasons["t"]);
    }

    [Fact]
    public void Gpu_model_constraint_applies_to_devices_within_a_mixed_node()
    {
        var capacity = new AgentCapacity(8000, 32 * GiB,
            [new GpuDeviceInfo("m16", "V100M16", 16 * GiB, 0), new GpuDeviceInfo("m32", "V100M32", 32 * GiB, 1)]);
        var cluster = Cluster(new NodeState("mixed", capacity, []));

        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 500, models: ["V100M32"]))), cluster, BestFit);

        Assert.Equal([new GpuShare("m32", 500)], plan.Placements.Single().Gpus);
    }

    [Fact]
    public void Fgpu_converts_with_the_nodes_fgpu_per_gpu()
    {
        // F = 5: fgpu 1 is 200 milli-GPU; five of them fill one device exactly, the sixth goes to the next one.
        var cluster = Cluster(Node("a", 64, 256, gpus: 2, fgpuPerGpu: 5));
        var queue = Queue(Enumerable.Range(1, 6).Select(i => ($"s{i}", Request(1, 1, fgpuMilli: 1000))).ToArray());

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        Assert.Equal(6, plan.Placements.Count);
        Assert.All(plan.Placements, p => Assert.Equal(200, Assert.Single(p.Gpus).Milli));
        Assert.Equal(5, plan.Placements.Count(p => p.Gpus[0].Uuid == "a-gpu-0"));
        Assert.Equal("a-gpu-1", plan.Placements[5].Gpus[0].Uuid);
    }

    [Fact]
    public void Fractional_request_over_one_device_is_split_evenly()
    {
        var cluster = Cluster(Node("a", 8, 32, gpus: 4));
        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 1500))), cluster, BestFit);

        Assert.Equal([new GpuShare("a-gpu-0", 750), new GpuShare("a-gpu-1", 750)], plan.Placements.Single().Gpus);
    }

    [Fact]
    public void Placements_in_one_round_account_for_each_other()
    {
        var cluster = Cluster(Node("a", 8, 32, gpus: 2), Node("b", 8, 32, gpus: 1));
        var queue = Queue(
            ("w1", Request(1, 1, gpus: 1)), ("w2", Request(1, 1, gpus: 1)), ("w3", Request(1, 1, gpus: 1)),
            ("w4", Request(1, 1, gpus: 1)), ("f1", Request(1, 1, fgpuMilli: 600)));

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        var shares = plan.Placements.SelectMany(p => p.Gpus.Select(g => (p.AgentId, g.Uuid))).ToList();
        Assert.Equal(3, plan.Placements.Count);
        Assert.Equal(shares.Count, shares.Distinct().Count());
        Assert.Contains("no agent has 1 free GPU", plan.PendingReasons["w4"]);
        Assert.Contains("fgpu 0.6", plan.PendingReasons["f1"]);
        // The plan applies cleanly: nothing is double booked.
        foreach (var placement in plan.Placements) cluster.Apply(placement);
    }

    [Fact]
    public void Plan_does_not_modify_the_cluster()
    {
        var cluster = TwoSizes();
        cluster.Apply(new Placement("x", "c-medium", 1000, GiB, [new GpuShare("c-medium-gpu-0", 300)]));
        var before = Describe(cluster);
        var queue = Queue(("s1", Request(2, 4, gpus: 2)), ("s2", Request(1, 1, fgpuMilli: 1700)), ("s3", Request(100, 1)));

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        Assert.Equal(2, plan.Placements.Count);
        Assert.Equal(before, Describe(cluster));
    }

    [Fact]
    public void Pending_reasons_are_specific()
    {
        var cluster = Cluster(Node("agent-1", 4, 32, gpus: 1), Node("agent-3", 16, 32, gpus: 1));
        cluster.Apply(new Placement("x", "agent-1", 0, 16 * GiB, []));

        var plan = Scheduler.Plan(Queue(
            ("mem", Request(1, 64)),
            ("cpu", Request(32, 1)),
            ("gpus", Request(1, 1, gpus: 2)),
            ("frac", Request(1, 1, fgpuMilli: 2500))), cluster, BestFit);

        Assert.Equal("insufficient memory: needs 64 GiB, largest free 32 GiB on agent-3", plan.PendingReasons["mem"]);
        Assert.Equal("insufficient CPU: needs 32 cores, largest free 16 cores on agent-3", plan.PendingReasons["cpu"]);
        Assert.Equal("no agent has 2 free GPUs (most: 1 on agent-1)", plan.PendingReasons["gpus"]);
        Assert.Contains("fgpu 2.5", plan.PendingReasons["frac"]);
    }

    [Fact]
    public void Pending_reason_with_no_agents_or_no_gpus_or_no_schedulable_agent()
    {
        var empty = Scheduler.Plan(Queue(("s", Request(1, 1))), new ClusterState(), BestFit);
        Assert.Equal("no agents in resource group", empty.PendingReasons["s"]);

        var cpuOnly = Scheduler.Plan(Queue(("s", Request(1, 1, gpus: 1))), Cluster(Node("a", 4, 8)), BestFit);
        Assert.Equal("no agent has GPUs", cpuOnly.PendingReasons["s"]);

        var cordoned = Cluster(Node("a", 4, 8));
        cordoned.Find("a")!.Schedulable = false;
        var drained = Scheduler.Plan(Queue(("s", Request(1, 1))), cordoned, BestFit);
        Assert.StartsWith("no schedulable agents", drained.PendingReasons["s"]);
    }

    [Theory]
    [InlineData("bestfit", false)]
    [InlineData("bestfit", true)]
    [InlineData(PlacementPolicy.DefaultName, false)]
    [InlineData(PlacementPolicy.DefaultName, true)]
    public void A_session_that_mounts_folders_goes_only_to_a_node_that_can_mount_them(string placement, bool mountsFirst)
    {
        var cluster = Cluster(Node("a", 4, 8), Node("b", 8, 16));
        cluster.Find("a")!.FoldersUnavailable = "node a: its folder root is not the cluster's shared storage (see its log)";
        var mounting = Request(1, 1) with { MountsFolders = true };
        (string, ResourceRequest)[] sessions = mountsFirst ? [("mounts", mounting), ("plain", Request(1, 1))] : [("plain", Request(1, 1)), ("mounts", mounting)];

        // Both policies prefer the smaller node a (best fit, consolidation); only the session without folders may go
        // there, whichever of the two the round sees first (the round caches node scores per request shape).
        var plan = Scheduler.Plan(Queue(sessions), cluster, new SchedulingPolicy(placement, "fifo"));
        Assert.Equal("a", plan.Placements.Single(p => p.SessionId == "plain").AgentId);
        Assert.Equal("b", plan.Placements.Single(p => p.SessionId == "mounts").AgentId);

        cluster.RemoveAgent("b");
        var pending = Scheduler.Plan(Queue(("mounts", mounting)), cluster, new SchedulingPolicy(placement, "fifo"));
        Assert.Empty(pending.Placements);
        Assert.Equal("no agent can mount storage folders now (1 cannot: node a: its folder root is not the cluster's shared storage (see its log))",
            pending.PendingReasons["mounts"]);
    }

    [Fact]
    public void Unknown_policy_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Scheduler.Plan([], new ClusterState(), new SchedulingPolicy(Placement: "magic")));
        Assert.Throws<ArgumentException>(() => Scheduler.Plan([], new ClusterState(), new SchedulingPolicy(Queue: "random")));
    }

    [Fact]
    public void A_session_listed_twice_is_placed_once()
    {
        var cluster = Cluster(Node("a", 4, 8), Node("b", 4, 8));
        var queue = new[] { Queued("s", Request(1, 1), 0), Queued("s", Request(1, 1), 1) };

        var plan = Scheduler.Plan(queue, cluster, WorstFit);

        Assert.Single(plan.Placements);
    }

    [Fact]
    public void A_session_that_already_holds_resources_is_not_placed_again()
    {
        var cluster = Cluster(Node("a", 4, 8), Node("b", 4, 8));
        cluster.Apply(new Placement("s", "a", 1000, GiB, []));

        var plan = Scheduler.Plan(Queue(("s", Request(1, 1)), ("t", Request(1, 1))), cluster, WorstFit);

        Assert.Equal(["t"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Equal("already placed on agent a", plan.PendingReasons["s"]);
    }

    [Fact]
    public void Absurd_gpu_amounts_stay_pending_instead_of_failing_the_plan()
    {
        var cluster = Cluster(Node("a", 4, 8, gpus: 8, fgpuPerGpu: 3));
        var queue = Queue(("g", Request(1, 1, gpus: int.MaxValue)), ("f", Request(1, 1, fgpuMilli: long.MaxValue)), ("ok", Request(1, 1, gpus: 1)));

        var plan = Scheduler.Plan(queue, cluster, BestFit);

        Assert.Equal(["ok"], plan.Placements.Select(p => p.SessionId).ToArray());
        Assert.Contains("free GPUs", plan.PendingReasons["g"]);
        Assert.Contains("milli-GPU", plan.PendingReasons["f"]);
    }
}
