using Granary.Agents;
using Granary.Devices;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

/// <summary>MIG instances as slots of their own size: the allocation map, the node and the scheduler.</summary>
public class MigSlotTests
{
    // An H100 80GB (132 SMs) split as the mock file splits it: 3g.40gb (covers 454), 2g.20gb (242), two 1g.10gb (121).
    public static GpuDeviceInfo[] MigH100(string prefix = "mig") =>
    [
        Slot($"{prefix}-3g", "3g.40gb", 40, 60),
        Slot($"{prefix}-2g", "2g.20gb", 20, 32),
        Slot($"{prefix}-1a", "1g.10gb", 10, 16),
        Slot($"{prefix}-1b", "1g.10gb", 10, 16),
    ];

    private static GpuDeviceInfo Slot(string uuid, string profile, long memoryGiB, int sms) =>
        new(uuid, "NVIDIA H100 80GB HBM3", memoryGiB * GiB, 2, sms, "9.0", "GPU-parent", profile, 80 * GiB, 132);

    private static GpuAllocationMap MigMap(bool slotsOnly = true) => new(MigH100(), slotsOnly);

    private static NodeState MigNode(string agentId, params GpuDeviceInfo[] whole) =>
        new(agentId, new AgentCapacity(32_000, 256 * GiB, [.. whole, .. MigH100($"{agentId}-mig")], 1, "mig", "mock"), []);

    private static string Show(IEnumerable<GpuShare>? shares) =>
        shares is null ? "none" : string.Join(" ", shares.Select(s => $"{s.Uuid}={s.Milli}"));

    [Fact]
    public void A_slot_covers_the_smaller_of_its_memory_and_sm_fractions_of_its_gpu()
    {
        var slots = MigH100();
        Assert.Equal([454, 242, 121, 121], slots.Select(MigSlots.CoverMilli).ToArray());
        Assert.Equal(125, MigSlots.CoverMilli(slots[2] with { Sms = 0 }));               // SMs unknown: memory alone
        Assert.Equal(0, MigSlots.CoverMilli(slots[2] with { ParentMemoryBytes = 0 }));  // GPU unknown: by profile only
        Assert.Equal(1000, MigSlots.CoverMilli(Gpus(1)[0]));
    }

    [Fact]
    public void A_slot_counts_as_capacity_of_its_size_not_as_a_whole_device()
    {
        var map = MigMap();

        Assert.Equal(454 + 242 + 121 + 121, map.TotalMilli);
        Assert.Equal(0, map.CountFullyFree());
        Assert.Null(map.FindWhole(1));
    }

    [Theory]
    [InlineData(50, "mig-1a=121")]
    [InlineData(121, "mig-1a=121")]
    [InlineData(122, "mig-2g=242")]
    [InlineData(200, "mig-2g=242")]
    [InlineData(454, "mig-3g=454")]
    public void A_fraction_takes_the_smallest_free_slot_that_covers_it_whole(int milli, string expected)
    {
        Assert.Equal(expected, Show(MigMap().AllocateFraction("s", milli)));
    }

    [Fact]
    public void No_slot_is_given_twice_and_the_next_smallest_covering_one_follows()
    {
        var map = MigMap();

        Assert.Equal("mig-1a=121", Show(map.AllocateFraction("a", 100)));
        Assert.Equal("mig-1b=121", Show(map.AllocateFraction("b", 100)));
        Assert.Equal("mig-2g=242", Show(map.AllocateFraction("c", 100)));
        Assert.Equal("mig-3g=454", Show(map.AllocateFraction("d", 100)));
        Assert.Null(map.AllocateFraction("e", 1));
        Assert.False(map.TryAllocate("e", [new GpuShare("mig-1a", 121)], out var reason));
        Assert.Contains("MIG instance mig-1a is held by another session", reason);
    }

    [Fact]
    public void A_fraction_larger_than_every_free_slot_does_not_fit()
    {
        var map = MigMap();
        map.AllocateFraction("big", 300);                  // takes the 3g.40gb

        Assert.False(map.CanFitFraction(300));
        Assert.Null(map.FindFraction(300));
        Assert.False(map.CanFitFraction(500));            // more than any slot covers: never split across slots
        Assert.True(map.CanFitFraction(242));
    }

    [Fact]
    public void Release_frees_the_slot_for_the_next_session()
    {
        var map = MigMap();
        map.AllocateFraction("a", 400);
        Assert.False(map.CanFitFraction(400));

        Assert.True(map.Free("a"));

        Assert.Equal(0, map.UsedMilli);
        Assert.Equal("mig-3g=454", Show(map.AllocateFraction("b", 400)));
    }

    [Fact]
    public void A_slot_is_held_whole_or_not_at_all()
    {
        var map = MigMap();

        Assert.False(map.TryAllocate("a", [new GpuShare("mig-3g", 100)], out var reason));
        Assert.Contains("held whole (454 milli-GPU) or not at all", reason);
        Assert.True(map.TryAllocate("a", [new GpuShare("mig-3g", 454)], out _));
    }

    [Fact]
    public void A_profile_request_takes_a_free_slot_of_that_profile()
    {
        var map = MigMap();

        Assert.Equal("mig-1a=121", Show(map.FindProfile("1g.10gb")));
        map.TryAllocateExact("a", ("mig-1a", 121));
        Assert.Equal("mig-1b=121", Show(map.FindProfile("1g.10gb")));
        map.TryAllocateExact("b", ("mig-1b", 121));
        Assert.Null(map.FindProfile("1g.10gb"));
        Assert.True(map.HasProfile("1g.10gb"));
        Assert.False(map.HasProfile("7g.80gb"));
    }

    [Fact]
    public void On_a_mig_node_whole_gpus_go_whole_and_fractions_only_to_slots()
    {
        var node = MigNode("n", new GpuDeviceInfo("n-gpu-0", "NVIDIA H100 80GB HBM3", 80 * GiB, 0, 132));

        Assert.Equal("n-gpu-0=1000", Show(node.FindGpuShares(Request(1, 1, gpus: 1))));
        Assert.Equal("n-mig-1a=121", Show(node.FindGpuShares(Request(1, 1, fgpuMilli: 100))));
        Assert.Null(node.FindGpuShares(Request(1, 1, fgpuMilli: 600)));   // the whole GPU is not shared on a mig node
        Assert.False(node.Gpus.TryAllocate("x", [new GpuShare("n-gpu-0", 500)], out var reason));
        Assert.Contains("not a MIG instance", reason);
    }

    [Fact]
    public void On_a_node_of_another_mode_a_fraction_takes_the_tightest_of_slots_and_shared_devices()
    {
        var map = new GpuAllocationMap([.. Gpus(1), .. MigH100()], fractionsOnMigSlotsOnly: false);
        map.TryAllocateExact("a", ("gpu-0", 850));                   // 150 left on the whole device

        Assert.Equal("mig-1a=121", Show(map.FindFraction(100)));     // a 1g.10gb (121) is tighter than the device's 150
        Assert.Equal("gpu-0=130", Show(map.FindFraction(130)));      // the device's 150 is tighter than a 2g.20gb (242)
        Assert.Equal("gpu-0=150", Show(map.FindFraction(150)));
    }

    [Fact]
    public void The_scheduler_places_fractions_and_profiles_on_mig_slots_and_says_why_not()
    {
        var cluster = Cluster(MigNode("a"));
        var queue = Queue(
            ("tenth", Request(1, 1, fgpuMilli: 100)),
            ("third", Request(1, 1, fgpuMilli: 300)),
            ("half", Request(1, 1, fgpuMilli: 500)),          // when it is planned, 2g.20gb and a 1g.10gb are free
            ("profile", Request(1, 1) with { FgpuMilli = MigSlots.FgpuMilliOf("2g.20gb"), MigProfile = "2g.20gb" }),
            ("absent", Request(1, 1) with { FgpuMilli = MigSlots.FgpuMilliOf("7g.80gb"), MigProfile = "7g.80gb" }));

        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "fifo", MaxSkips: 10));

        var placed = plan.Placements.ToDictionary(p => p.SessionId, p => Show(p.Gpus));
        Assert.Equal("a-mig-1a=121", placed["tenth"]);
        Assert.Equal("a-mig-3g=454", placed["third"]);
        Assert.Equal("a-mig-2g=242", placed["profile"]);
        Assert.Equal(
            "no free MIG instance covers fgpu 0.5 (500 milli-GPU of a GPU) (largest free: 2g.20gb, 242 milli-GPU, on a)",
            plan.PendingReasons["half"]);
        Assert.Equal("no agent has MIG instances of profile 7g.80gb", plan.PendingReasons["absent"]);
    }

    [Fact]
    public void A_profile_on_a_cluster_without_mig_stays_pending_with_the_reason()
    {
        var cluster = Cluster(Node("a", 8, 32, gpus: 2));
        var queue = Queue(("p", Request(1, 1) with { FgpuMilli = 143, MigProfile = "1g.10gb" }));

        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("fgd", "fifo", MaxSkips: 10));

        Assert.Empty(plan.Placements);
        Assert.Equal("no agent has MIG instances of profile 1g.10gb", plan.PendingReasons["p"]);
    }

    [Fact]
    public void Every_held_slot_says_so()
    {
        var node = MigNode("a");
        foreach (var (id, uuid, milli) in new[] { ("1", "a-mig-3g", 454), ("2", "a-mig-2g", 242), ("3", "a-mig-1a", 121), ("4", "a-mig-1b", 121) })
            Assert.True(node.TryApply(new Placement(id, "a", 100, GiB, [new GpuShare(uuid, milli)], "alice"), out _));

        var plan = Scheduler.Plan(Queue(("late", Request(1, 1, fgpuMilli: 100)), ("p", Request(1, 1) with { MigProfile = "1g.10gb", FgpuMilli = 143 })),
            Cluster(node), new SchedulingPolicy("bestfit", "fifo", MaxSkips: 10));

        Assert.Equal("no free MIG instance for fgpu 0.1 (100 milli-GPU): every instance is held or the GPUs are not in MIG mode", plan.PendingReasons["late"]);
        Assert.Equal("every MIG instance of profile 1g.10gb is held (on a)", plan.PendingReasons["p"]);
    }
}
