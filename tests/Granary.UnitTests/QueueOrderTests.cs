using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class QueueOrderTests
{
    private static QueuedRequest Of(string id, string owner, int order, int priority = 0, double cores = 1) =>
        new(new PendingSession(id, owner, Request(cores, 1), priority, DateTimeOffset.UnixEpoch.AddSeconds(order)), 0);

    private static string[] Placed(SchedulePlan plan) => plan.Placements.Select(p => p.SessionId).ToArray();

    [Fact]
    public void Lifo_considers_the_latest_request_first()
    {
        var cluster = Cluster(Node("a", 2, 16));
        QueuedRequest[] queue = [Of("old", "u", 1), Of("new", "u", 3), Of("mid", "u", 2)];
        Assert.Equal(["new", "mid", "old"], LifoOrder.Instance.Order(queue).Select(q => q.Session.SessionId).ToArray());
        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "lifo"));
        Assert.Equal(["new", "mid"], Placed(plan));
        Assert.Contains("insufficient CPU", plan.PendingReasons["old"]);
    }

    [Fact]
    public void Priority_goes_first_and_fifo_within_a_priority()
    {
        QueuedRequest[] queue = [Of("p0", "u", 1), Of("p5-late", "u", 4, 5), Of("p1", "u", 2, 1), Of("p5-early", "u", 3, 5)];
        var plan = Scheduler.Plan(queue, Cluster(Node("a", 3, 16)), new SchedulingPolicy("bestfit", "priority"));
        Assert.Equal(["p5-early", "p5-late", "p1"], Placed(plan));
    }

    [Fact]
    public void Drf_serves_the_owner_with_the_lowest_dominant_share_first()
    {
        // alice already runs 4 of 10 cores; bob runs nothing: bob's requests go before alice's older ones.
        var cluster = Cluster(Node("a", 10, 100));
        cluster.Apply(new Placement("running", "a", 4000, GiB, [], "alice"));
        QueuedRequest[] queue = [Of("a1", "alice", 1), Of("a2", "alice", 2), Of("b1", "bob", 3), Of("b2", "bob", 4)];
        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "drf"));
        Assert.Equal(["b1", "b2", "a1", "a2"], Placed(plan));
        Assert.All(plan.Placements, p => Assert.Equal(p.SessionId[0] == 'a' ? "alice" : "bob", p.Owner));
    }

    [Fact]
    public void Drf_is_fair_across_two_owners_when_capacity_is_short()
    {
        // alice queued 6 requests before bob's 6; only 6 fit: each owner gets 3, alternating.
        var cluster = Cluster(Node("a", 6, 100));
        var queue = Enumerable.Range(0, 6).Select(i => Of($"a{i}", "alice", i))
            .Concat(Enumerable.Range(0, 6).Select(i => Of($"b{i}", "bob", 10 + i))).ToArray();
        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "drf", MaxSkips: 100));
        Assert.Equal(["a0", "b0", "a1", "b1", "a2", "b2"], Placed(plan));

        var fifo = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "fifo", MaxSkips: 100));
        Assert.Equal(6, fifo.Placements.Count(p => p.Owner == "alice"));   // what DRF prevents
    }

    [Fact]
    public void Drf_uses_the_dominant_resource()
    {
        // alice holds 1 of 4 GPUs (25 %), bob 2 of 10 cores (20 %): bob's dominant share is lower.
        var cluster = Cluster(Node("a", 10, 100, gpus: 4));
        cluster.Apply(new Placement("ga", "a", 100, GiB, [new GpuShare("a-gpu-0", 1000)], "alice"));
        cluster.Apply(new Placement("cb", "a", 2000, GiB, [], "bob"));
        QueuedRequest[] queue = [Of("a1", "alice", 1), Of("b1", "bob", 2)];
        Assert.Equal(["b1", "a1"], Placed(Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", "drf"))));
    }

    [Fact]
    public void Head_of_line_skips_stay_bounded_under_every_order()
    {
        foreach (var order in QueueOrders.Names)
        {
            // big fits the node once the running session leaves: after two skips the node is kept for it.
            var cluster = Cluster(Node("a", 4, 16));
            cluster.Apply(new Placement("running", "a", 1000, GiB, [], "carol"));
            QueuedRequest[] queue = [Of("big", "alice", 0, priority: 9, cores: 4),
                .. Enumerable.Range(1, 6).Select(i => Of($"s{i}", i % 2 == 0 ? "alice" : "bob", order == "lifo" ? -i : i))];
            var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy("bestfit", order, MaxSkips: 2));
            Assert.True(plan.Skips["big"] <= 2, $"{order}: big skipped {plan.Skips["big"]} times");
            Assert.Equal(2, plan.Placements.Count);
        }
    }

    [Fact]
    public void Unknown_queue_orders_are_rejected() =>
        Assert.Throws<ArgumentException>(() => QueueOrders.Resolve("random"));
}
