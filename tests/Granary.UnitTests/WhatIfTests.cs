using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class WhatIfTests
{
    // Target: whole GPUs. Node a's only GPU has 500 milli free, node b's only GPU is idle.
    private static readonly TargetWorkload WholeGpus = new([new WorkloadType(1, 0, 1, 1000, null)]);

    private static ClusterState HalfUsedAndIdle()
    {
        var cluster = Cluster(Node("a", 8, 8, gpus: 1), Node("b", 8, 8, gpus: 1));
        cluster.Apply(new Placement("x", "a", 0, 0, [new GpuShare("a-gpu-0", 500)]));
        return cluster;
    }

    [Fact]
    public void A_plan_is_worth_the_gpu_it_places_less_the_fragmentation_it_adds()
    {
        var cluster = HalfUsedAndIdle();
        var model = new FragmentationModel(WholeGpus);
        Placement Share(string agent) => new("s", agent, 0, 0, [new GpuShare($"{agent}-gpu-0", 300)]);

        Assert.Equal(300, WhatIfValue.Of([Share("b")], cluster, model: null));
        // On b: F goes 0 → 700 (the idle GPU is no longer whole): 300 − 700.
        Assert.Equal(-400, WhatIfValue.Of([Share("b")], cluster, model), 9);
        // On a: F goes 500 → 200: 300 + 300.
        Assert.Equal(600, WhatIfValue.Of([Share("a")], cluster, model), 9);
        Assert.Equal(500, WhatIfValue.Fragmentation(model, cluster.Find("a")!), 9);
        Assert.Single(cluster.Find("a")!.Allocations);   // the cluster is not changed
    }

    [Theory]
    [InlineData(WhatIfJudge.PlacedGpu, "worstfit", 0)]
    [InlineData(WhatIfJudge.PlacedLessFragmentation, "fgd", 1)]
    public void The_judge_decides_which_member_the_recent_arrivals_elect(WhatIfJudge judge, string elected, int switches)
    {
        // A 500-milli share: worst fit puts it on idle b (F 0 → 500: worth 0), FGD on a (F 500 → 0: worth 1000).
        // Both place 500, so judged by GPU placed the member in use (worst fit) stays.
        var scorer = new WhatIfScorer([PlacementPolicy.Create("worstfit"), PlacementPolicy.Create("fgd", WholeGpus)],
            window: 1, period: 1, judge, WholeGpus);
        Assert.Equal("worstfit", scorer.Current.Name);
        scorer.ForRound(Queue(("s", Request(1, 1, fgpuMilli: 500))), HalfUsedAndIdle());
        Assert.Equal((elected, switches), (scorer.Current.Name, scorer.Switches));
    }

    [Theory]
    [InlineData(10, "bestfit", 1)]   // 10 of 1,010 milli constrained: 1 %, at least ConstrainedShare (0.5 %)
    [InlineData(4, "worstfit", 0)]   // 4 of 1,004: 0.4 %, left to the replay (not due yet: the window is not full)
    public void Model_constrained_demand_adopts_the_constrained_member_without_a_replay(long constrainedMilli, string elected, int switches)
    {
        var scorer = new WhatIfScorer([PlacementPolicy.Create("worstfit"), PlacementPolicy.Create("bestfit")],
            window: 4, period: 4, WhatIfJudge.PlacedGpu, constrainedMember: 1);
        scorer.ForRound(Queue(("u", Request(1, 1, gpus: 1)), ("c", Request(1, 1, fgpuMilli: constrainedMilli, models: ["V100M32"]))),
            HalfUsedAndIdle());
        Assert.Equal((elected, switches), (scorer.Current.Name, scorer.Switches));
    }

    [Fact]
    public void A_constrained_member_outside_the_portfolio_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WhatIfScorer([PlacementPolicy.Create("worstfit")], constrainedMember: 1));

    [Fact]
    public void The_default_never_replays_and_takes_coarse_steps_once_constrained_requests_arrive()
    {
        var scorer = Assert.IsType<WhatIfScorer>(PlacementPolicy.Create(PlacementPolicy.DefaultName).Scorer);
        var cluster = HalfUsedAndIdle();
        var unconstrained = Enumerable.Range(0, 600).Select(i => ($"u{i}", Request(1, 1, fgpuMilli: 100))).ToArray();
        scorer.ForRound(Queue(unconstrained), cluster);
        Assert.Equal(("fgd-consolidate", 0), (scorer.Current.Name, scorer.Switches));

        scorer.ForRound(Queue(("c", Request(1, 1, fgpuMilli: 500, models: ["V100M32"]))), cluster);
        Assert.Equal((PlacementPolicy.WhatIfConstrainedMember, 1), (scorer.Current.Name, scorer.Switches));
    }

    [Theory]
    [InlineData(300, "fgd", 1)]               // 300 of 1,300 milli asked as shares: 23 %, below LightSharingShare (25 %)
    [InlineData(400, "fgd-consolidate", 0)]   // 400 of 1,400: 29 %
    public void The_default_sends_ties_anywhere_while_shares_ask_for_little_of_the_gpu(long shareMilli, string elected, int switches)
    {
        var scorer = Assert.IsType<WhatIfScorer>(PlacementPolicy.Create(PlacementPolicy.DefaultName).Scorer);
        scorer.ForRound(Queue(("whole", Request(1, 1, gpus: 1)), ("share", Request(1, 1, fgpuMilli: shareMilli))), HalfUsedAndIdle());
        Assert.Equal((elected, switches), (scorer.Current.Name, scorer.Switches));
    }

    [Fact]
    public void The_default_consolidates_again_once_shares_ask_for_more()
    {
        var scorer = Assert.IsType<WhatIfScorer>(PlacementPolicy.Create(PlacementPolicy.DefaultName).Scorer);
        var cluster = HalfUsedAndIdle();
        scorer.ForRound(Queue(("w1", Request(1, 1, gpus: 1)), ("w2", Request(1, 1, gpus: 2))), cluster);
        Assert.Equal("fgd", scorer.Current.Name);

        // 4 × 900 of 6,600 milli: 55 % asked as shares.
        scorer.ForRound(Queue(Enumerable.Range(0, 4).Select(i => ($"s{i}", Request(1, 1, fgpuMilli: 900))).ToArray()), cluster);
        Assert.Equal(("fgd-consolidate", 2), (scorer.Current.Name, scorer.Switches));
    }

    [Fact]
    public void Constrained_demand_outranks_light_sharing()
    {
        var scorer = Assert.IsType<WhatIfScorer>(PlacementPolicy.Create(PlacementPolicy.DefaultName).Scorer);
        // 100 of 1,100 milli asked as shares (9 %), all of it constrained to a model (9 %, above ConstrainedShare).
        scorer.ForRound(Queue(("w", Request(1, 1, gpus: 1)), ("c", Request(1, 1, fgpuMilli: 100, models: ["V100M32"]))), HalfUsedAndIdle());
        Assert.Equal(PlacementPolicy.WhatIfConstrainedMember, scorer.Current.Name);
    }

    [Fact]
    public void A_light_sharing_member_outside_the_portfolio_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WhatIfScorer([PlacementPolicy.Create("worstfit")], lightSharingMember: 1));
}
