using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

/// <summary>Each filter and scorer on small hand-built clusters whose right answer is known.</summary>
public class PlacementPolicyTests
{
    private static string Place(ClusterState cluster, PlacementPolicy policy, ResourceRequest request, string id = "s")
    {
        var plan = Scheduler.Plan(Queue((id, request)), cluster, 0, policy, FifoOrder.Instance);
        return plan.Placements.SingleOrDefault()?.AgentId ?? "pending: " + plan.PendingReasons[id];
    }

    [Fact]
    public void Filters_admit_exactly_the_nodes_that_can_take_the_request()
    {
        var node = Node("a", 4, 8, gpus: 2, model: "T4");
        node.Gpus.AllocateFraction("x", 700);   // gpu-0: 300 free, gpu-1: 1000 free

        Assert.True(CpuFilter.Instance.Admits(node, Request(4, 1)));
        Assert.False(CpuFilter.Instance.Admits(node, Request(4.001, 1)));
        Assert.True(MemoryFilter.Instance.Admits(node, Request(1, 8)));
        Assert.False(MemoryFilter.Instance.Admits(node, Request(1, 9)));
        Assert.True(GpuModelFilter.Instance.Admits(node, Request(1, 1, gpus: 1, models: ["V100M16", "t4"])));
        Assert.False(GpuModelFilter.Instance.Admits(node, Request(1, 1, gpus: 1, models: ["V100M16"])));
        Assert.True(GpuFilter.Instance.Admits(node, Request(1, 1, gpus: 1)));
        Assert.False(GpuFilter.Instance.Admits(node, Request(1, 1, gpus: 2)));
        Assert.True(GpuFilter.Instance.Admits(node, Request(1, 1, fgpuMilli: 600)));   // on gpu-1
        Assert.True(GpuFilter.SingleDevice.Admits(node, Request(1, 1, fgpuMilli: 1000)));
        node.Gpus.AllocateFraction("y", 500);   // best fit: gpu-1 now 500 free, gpu-0 300 free
        Assert.True(GpuFilter.Instance.Admits(node, Request(1, 1, fgpuMilli: 600)));   // 300 + 300 split
        Assert.False(GpuFilter.SingleDevice.Admits(node, Request(1, 1, fgpuMilli: 600)));
        node.Schedulable = false;
        Assert.False(SchedulableFilter.Instance.Admits(node, Request(0.1, 1)));
    }

    [Fact]
    public void Single_device_shares_explain_the_largest_free_share_when_pending()
    {
        var cluster = Cluster(Node("a", 8, 8, gpus: 2, model: "T4"));
        cluster.Apply(new Placement("x", "a", 0, 0, [new GpuShare("a-gpu-0", 600), new GpuShare("a-gpu-1", 600)]));
        var policy = PlacementPolicy.Create("bestfit", splitShares: false);
        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 500))), cluster, 0, policy, FifoOrder.Instance);
        Assert.Equal("no GPU has room for fgpu 0.5 (500 milli-GPU) on one device (largest free share: 400 milli-GPU on a)", plan.PendingReasons["s"]);
        var split = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 500))), cluster, 0, PlacementPolicy.Create("bestfit"), FifoOrder.Instance);
        Assert.Equal(2, split.Placements.Single().Gpus.Length);   // split mode: 250 + 250
    }

    [Fact]
    public void Round_robin_cycles_through_nodes_and_keeps_its_cursor_across_rounds()
    {
        var cluster = Cluster(Node("a", 8, 8), Node("b", 8, 8), Node("c", 8, 8));
        var policy = PlacementPolicy.Create("roundrobin");
        var plan = Scheduler.Plan(Queue(("1", Request(1, 1)), ("2", Request(1, 1)), ("3", Request(1, 1)), ("4", Request(1, 1))),
            cluster, 0, policy, FifoOrder.Instance);
        Assert.Equal(["a", "b", "c", "a"], plan.Placements.Select(p => p.AgentId).ToArray());

        foreach (var p in plan.Placements) cluster.Apply(p);
        Assert.Equal("b", Place(cluster, policy, Request(1, 1), "5"));
    }

    [Fact]
    public void Round_robin_skips_nodes_that_do_not_fit()
    {
        var cluster = Cluster(Node("a", 8, 8), Node("b", 1, 8), Node("c", 8, 8));
        var policy = PlacementPolicy.Create("roundrobin");
        var plan = Scheduler.Plan(Queue(("1", Request(2, 1)), ("2", Request(2, 1)), ("3", Request(2, 1))), cluster, 0, policy, FifoOrder.Instance);
        Assert.Equal(["a", "c", "a"], plan.Placements.Select(p => p.AgentId).ToArray());
    }

    [Fact]
    public void Simulator_best_fit_weighs_cpu_and_gpu_equally()
    {
        // b has fewer free GPUs but many more free cores than a: ½·CPU left/128 + ½·GPU left/8 prefers a.
        var cluster = Cluster(Node("a", 16, 64, gpus: 4), Node("b", 96, 64, gpus: 2));
        Assert.Equal("a", Place(cluster, PlacementPolicy.Create("bestfit-cpugpu"), Request(1, 1, gpus: 1)));
        Assert.Equal("b", Place(cluster, PlacementPolicy.Create("bestfit"), Request(1, 1, gpus: 1)));   // GPU-dominant
    }

    [Fact]
    public void Dot_product_prefers_the_node_whose_free_resources_align_least_with_the_request()
    {
        var cluster = Cluster(Node("a", 8, 32, gpus: 1), Node("b", 8, 32, gpus: 1));
        cluster.Apply(new Placement("x", "b", 6000, 24 * GiB, []));
        Assert.Equal("b", Place(cluster, PlacementPolicy.Create("dotproduct"), Request(1, 1)));
    }

    [Fact]
    public void Gpu_packing_prefers_a_used_device_then_a_used_node_then_the_smallest_idle_node()
    {
        var cluster = Cluster(Node("a", 32, 64, gpus: 8), Node("b", 32, 64, gpus: 2), Node("c", 32, 64, gpus: 4));
        var packing = PlacementPolicy.Create("gpupacking");
        Assert.Equal("b", Place(cluster, packing, Request(1, 1, fgpuMilli: 500)));   // idle nodes: fewest devices
        cluster.Apply(new Placement("x", "c", 1000, GiB, [new GpuShare("c-gpu-0", 500)]));
        Assert.Equal("c", Place(cluster, packing, Request(1, 1, fgpuMilli: 400)));   // the used device
        Assert.Equal("c", Place(cluster, packing, Request(1, 1, gpus: 1)));          // free device on a used node
    }

    [Fact]
    public void Every_policy_name_resolves_and_unknown_ones_are_rejected()
    {
        foreach (var name in PlacementPolicy.Names)
            Assert.Equal(name, PlacementPolicy.Resolve(name).Name);
        Assert.Equal(PlacementPolicy.DefaultName, new SchedulingPolicy().Placement);
        Assert.Throws<ArgumentException>(() => PlacementPolicy.Create("nope"));
    }

    [Fact]
    public void A_gpu_model_constraint_is_never_violated_by_any_policy()
    {
        string[] models = ["T4", "V100M16", "V100M32"];
        for (var seed = 0; seed < 25; seed++)
        {
            var random = new Random(seed);
            foreach (var name in PlacementPolicy.Names)
            {
                var cluster = new ClusterState();
                var deviceModel = new Dictionary<string, string>();
                for (var n = 0; n < 6; n++)
                {
                    // Some nodes mix models.
                    var gpus = Enumerable.Range(0, random.Next(0, 5))
                        .Select(i => new GpuDeviceInfo($"n{n}-g{i}", models[random.Next(models.Length)], 16 * GiB, i)).ToArray();
                    foreach (var g in gpus) deviceModel[g.Uuid] = g.Model;
                    cluster.Upsert(new NodeState($"n{n}", new AgentCapacity(16_000, 64 * GiB, gpus), []));
                }
                var queue = Enumerable.Range(0, 30).Select(i =>
                {
                    var wanted = models.Where(_ => random.Next(2) == 0).ToArray();
                    var request = random.Next(3) switch
                    {
                        0 => Request(1, 1, gpus: random.Next(1, 3), models: wanted),
                        1 => Request(1, 1, fgpuMilli: random.Next(1, 10) * 100, models: wanted),
                        _ => Request(1, 1, fgpuMilli: random.Next(11, 25) * 100, models: wanted),
                    };
                    return Queued($"s{i}", request, i);
                }).ToArray();

                var plan = Scheduler.Plan(queue, cluster, 0, PlacementPolicy.Create(name, seed: seed), FifoOrder.Instance);
                foreach (var placement in plan.Placements)
                {
                    var wanted = queue.Single(q => q.Session.SessionId == placement.SessionId).Session.Resources.GpuModels;
                    foreach (var share in placement.Gpus)
                        Assert.True(wanted is not { Length: > 0 } || wanted.Contains(deviceModel[share.Uuid]),
                            $"{name} seed {seed}: {placement.SessionId} wants {string.Join("/", wanted ?? [])}, got {deviceModel[share.Uuid]}");
                    cluster.Apply(placement);   // also proves the plan fits
                }
            }
        }
    }
}
