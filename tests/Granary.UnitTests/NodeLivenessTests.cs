using Granary.Agents.Liveness;

namespace Granary.UnitTests;

public sealed class NodeLivenessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    private static readonly HeartbeatPace Pace = new(TimeSpan.FromSeconds(2), LostAfter, MaxPerSecond: 200);

    [Fact]
    public void Silent_node_is_lost_after_LostAfter_then_expires_after_its_grace()
    {
        var liveness = new NodeLiveness(Pace, Grace);
        Assert.Equal(NodeChange.Joined, liveness.Heartbeat("a", "g", ["s1", "s2"], T0).Change);
        liveness.Heartbeat("b", "g", [], T0);

        Assert.Empty(liveness.Tick(T0 + TimeSpan.FromSeconds(9)));
        liveness.Heartbeat("b", "g", [], T0 + TimeSpan.FromSeconds(9));

        var lost = Assert.Single(liveness.Tick(T0 + LostAfter));
        Assert.Equal((NodeChange.Lost, "a", T0, T0 + LostAfter), (lost.Change, lost.NodeId, lost.LastHeartbeat, lost.LostSince));
        Assert.Equal(["s1", "s2"], lost.Sessions);
        Assert.Empty(liveness.Tick(T0 + LostAfter + TimeSpan.FromSeconds(1)));

        liveness.Heartbeat("b", "g", [], T0 + LostAfter + Grace);
        var expired = Assert.Single(liveness.Tick(T0 + LostAfter + Grace));
        Assert.Equal((NodeChange.Expired, "a"), (expired.Change, expired.NodeId));
        Assert.Equal(["s1", "s2"], expired.Sessions);
        var later = Assert.Single(liveness.Tick(T0 + LostAfter + Grace + Grace));
        Assert.Equal((NodeChange.Lost, "b"), (later.Change, later.NodeId)); // a expired once, b went silent meanwhile
        Assert.True(liveness.Find("a")!.Expired);
    }

    [Fact]
    public void Sessions_placed_after_the_last_heartbeat_expire_with_the_node()
    {
        var liveness = new NodeLiveness(Pace, Grace);
        liveness.Heartbeat("a", "g", ["s1"], T0);
        Assert.Single(liveness.Tick(T0 + LostAfter));

        // The scheduler placed s2 there after the node's last heartbeat.
        Assert.Equal(["s1", "s2"], liveness.AddSessions("a", ["s2", "s1"]));
        Assert.Empty(liveness.AddSessions("unknown", ["s3"]));

        var expired = Assert.Single(liveness.Tick(T0 + LostAfter + Grace));
        Assert.Equal(["s1", "s2"], expired.Sessions);
    }

    [Fact]
    public void Node_back_within_its_grace_returns_and_after_it_returns_late()
    {
        var liveness = new NodeLiveness(Pace, Grace);
        liveness.Heartbeat("a", "g", ["s1"], T0);
        liveness.Tick(T0 + LostAfter);

        var back = liveness.Heartbeat("a", "g", ["s1"], T0 + LostAfter + TimeSpan.FromSeconds(30));
        Assert.Equal((NodeChange.Returned, T0 + LostAfter), (back.Change, back.LostSince));
        Assert.Null(liveness.Find("a")!.LostSince);

        liveness.Tick(T0 + TimeSpan.FromMinutes(1));
        liveness.Tick(T0 + TimeSpan.FromMinutes(4));
        var late = liveness.Heartbeat("a", "g", ["s1"], T0 + TimeSpan.FromMinutes(5));
        Assert.Equal(NodeChange.ReturnedAfterGrace, late.Change);
        Assert.Equal(NodeChange.None, liveness.Heartbeat("a", "g", [], T0 + TimeSpan.FromMinutes(5)).Change);
    }

    [Fact]
    public void Restored_node_gets_a_full_LostAfter_from_the_restore_and_a_lost_one_keeps_its_clock()
    {
        var liveness = new NodeLiveness(Pace, Grace);
        var restart = T0 + TimeSpan.FromMinutes(10);
        liveness.Restore(new NodeRecord("alive", "g", T0, ["s1"], null, false), restart);
        liveness.Restore(new NodeRecord("lost", "g", T0, ["s2"], T0 + LostAfter, false), restart);

        var changes = liveness.Tick(restart + TimeSpan.FromSeconds(1));
        var expired = Assert.Single(changes);
        Assert.Equal((NodeChange.Expired, "lost"), (expired.Change, expired.NodeId));

        var lost = Assert.Single(liveness.Tick(restart + LostAfter));
        Assert.Equal((NodeChange.Lost, "alive"), (lost.Change, lost.NodeId));
    }

    [Fact]
    public void A_big_cluster_stretches_the_interval_so_the_managers_take_at_most_MaxPerSecond_and_LostAfter_with_it()
    {
        Assert.Equal((TimeSpan.FromSeconds(2), LostAfter), (Pace.IntervalFor(1), Pace.LostAfterFor(1)));
        Assert.Equal((TimeSpan.FromSeconds(2), LostAfter), (Pace.IntervalFor(400), Pace.LostAfterFor(400)));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(25)), (Pace.IntervalFor(1000), Pace.LostAfterFor(1000)));
        foreach (var nodes in new[] { 1, 50, 399, 401, 1000, 5000, 100_000 })
        {
            Assert.True(nodes / Pace.IntervalFor(nodes).TotalSeconds <= Pace.MaxPerSecond + 1e-9, $"{nodes} nodes");
            Assert.Equal(5.0, Pace.LostAfterFor(nodes) / Pace.IntervalFor(nodes), 9); // lost after 5 missed beats at any size
        }
    }

    [Fact]
    public void A_node_of_a_big_cluster_is_lost_only_after_the_stretched_LostAfter()
    {
        var liveness = new NodeLiveness(Pace, Grace);
        for (var i = 0; i < 1000; i++)
            liveness.Heartbeat($"n{i:D4}", "g", [], T0);
        Assert.Equal(TimeSpan.FromSeconds(5), liveness.Interval);

        for (var i = 1; i < 1000; i++)
            liveness.Heartbeat($"n{i:D4}", "g", [], T0 + TimeSpan.FromSeconds(20));
        Assert.Empty(liveness.Tick(T0 + TimeSpan.FromSeconds(24)));

        var lost = Assert.Single(liveness.Tick(T0 + TimeSpan.FromSeconds(25)));
        Assert.Equal((NodeChange.Lost, "n0000"), (lost.Change, lost.NodeId));
    }
}
