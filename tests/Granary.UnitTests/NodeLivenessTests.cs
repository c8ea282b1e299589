using Granary.Agents.Liveness;

namespace Granary.UnitTests;

public sealed class NodeLivenessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    [Fact]
    public void Silent_node_is_lost_after_LostAfter_then_expires_after_its_grace()
    {
        var liveness = new NodeLiveness(LostAfter, Grace);
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
        var liveness = new NodeLiveness(LostAfter, Grace);
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
        var liveness = new NodeLiveness(LostAfter, Grace);
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
        var liveness = new NodeLiveness(LostAfter, Grace);
        var restart = T0 + TimeSpan.FromMinutes(10);
        liveness.Restore(new NodeRecord("alive", "g", T0, ["s1"], null, false), restart);
        liveness.Restore(new NodeRecord("lost", "g", T0, ["s2"], T0 + LostAfter, false), restart);

        var changes = liveness.Tick(restart + TimeSpan.FromSeconds(1));
        var expired = Assert.Single(changes);
        Assert.Equal((NodeChange.Expired, "lost"), (expired.Change, expired.NodeId));

        var lost = Assert.Single(liveness.Tick(restart + LostAfter));
        Assert.Equal((NodeChange.Lost, "alive"), (lost.Change, lost.NodeId));
    }
}
