using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class NodeStateTests
{
    private static Placement On(string agent, string session, double cores, long memoryGiB, params GpuShare[] gpus) =>
        new(session, agent, (long)(cores * 1000), memoryGiB * GiB, gpus);

    [Fact]
    public void TryApply_reserves_exactly_the_named_shares_and_Release_frees_them()
    {
        var node = Node("a", 8, 32, gpus: 2);

        Assert.True(node.TryApply(On("a", "s1", 2, 8, new GpuShare("a-gpu-1", 250)), out var reason), reason);

        Assert.Equal(6000, node.FreeCpuMilli);
        Assert.Equal(24 * GiB, node.FreeMemoryBytes);
        Assert.Equal(750, node.Gpus.FreeMilliOf("a-gpu-1"));
        Assert.Equal(1000, node.Gpus.FreeMilliOf("a-gpu-0"));
        Assert.Equal("s1", Assert.Single(node.Allocations).SessionId);

        node.Release("s1");
        Assert.Equal(8000, node.FreeCpuMilli);
        Assert.Equal(32 * GiB, node.FreeMemoryBytes);
        Assert.Equal(2000, node.FreeGpuMilli);
        Assert.True(node.IsEmpty);
        node.Release("s1"); // no-op
    }

    public static TheoryData<Placement, string> Refused => new()
    {
        { On("a", "s2", 7, 1), "CPU" },
        { On("a", "s2", 1, 25), "memory" },
        { On("a", "s2", 1, 1, new GpuShare("a-gpu-9", 100)), "unknown GPU" },
        { On("a", "s2", 1, 1, new GpuShare("a-gpu-0", 501)), "a-gpu-0" },
        { On("a", "s2", 1, 1, new GpuShare("a-gpu-1", 1001)), "a-gpu-1" },
        { On("a", "s2", 1, 1, new GpuShare("a-gpu-1", 600), new GpuShare("a-gpu-1", 300)), "twice" },
        { On("a", "s1", 1, 1), "already" },
        { On("b", "s2", 1, 1), "agent b" },
        { On("a", "s2", -1, 1), "negative" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void TryApply_refuses_what_does_not_fit_and_changes_nothing(Placement placement, string expectedInReason)
    {
        var node = Node("a", 8, 32, gpus: 2);
        Assert.True(node.TryApply(On("a", "s1", 2, 8, new GpuShare("a-gpu-0", 500)), out _));
        var before = Describe(Cluster(node));

        Assert.False(node.TryApply(placement, out var reason));

        Assert.Contains(expectedInReason, reason);
        Assert.Equal(before, Describe(Cluster(node)));
    }

    [Fact]
    public void Constructor_takes_existing_allocations_and_rejects_impossible_ones()
    {
        var capacity = Capacity(4, 16, gpus: 1);
        var node = new NodeState("a", capacity, [new Allocation("s1", 1000, GiB, [new GpuShare("gpu-0", 500)])]);
        Assert.Equal(500, node.FreeGpuMilli);
        Assert.Equal(3000, node.FreeCpuMilli);

        Assert.Throws<ArgumentException>(() => new NodeState("a", capacity, [new Allocation("s1", 5000, GiB, [])]));
        Assert.Throws<ArgumentException>(() => new NodeState("a", capacity, [new Allocation("s1", 1, 1, [new GpuShare("gpu-7", 1)])]));
        Assert.Throws<ArgumentException>(() => new NodeState("a", capacity, [new Allocation("s1", 1, 1, []), new Allocation("s1", 1, 1, [])]));
    }

    [Theory]
    [InlineData(1, 1000, 1000)]   // fgpu 1 on F=1: one device
    [InlineData(5, 1000, 200)]    // fgpu 1 on F=5: a fifth
    [InlineData(5, 200, 40)]      // fgpu 0.2 on F=5
    [InlineData(3, 1000, 334)]    // rounded up
    [InlineData(5, 7000, 1400)]   // more than a device
    public void Fgpu_converts_to_milli_gpu_by_the_nodes_fgpu_per_gpu(int fgpuPerGpu, long fgpuMilli, int expected)
    {
        var node = Node("a", 8, 32, gpus: 2, fgpuPerGpu: fgpuPerGpu);
        Assert.Equal(expected, node.GpuMilliFor(Request(1, 1, fgpuMilli: fgpuMilli)));
    }

    [Fact]
    public void Whole_gpus_convert_to_thousands() =>
        Assert.Equal(3000, Node("a", 8, 32, gpus: 4, fgpuPerGpu: 5).GpuMilliFor(Request(1, 1, gpus: 3)));

    [Fact]
    public void Clone_is_independent()
    {
        var node = Node("a", 8, 32, gpus: 1);
        var copy = node.Clone();
        Assert.True(copy.TryApply(On("a", "s1", 1, 1, new GpuShare("a-gpu-0", 1000)), out _));

        Assert.True(node.IsEmpty);
        Assert.Equal(1000, node.FreeGpuMilli);
        Assert.Equal(0, copy.FreeGpuMilli);
    }
}

public class ClusterStateTests
{
    [Fact]
    public void Upsert_find_apply_release_remove()
    {
        var cluster = new ClusterState();
        cluster.UpsertAgent(Snapshot("b", Capacity(4, 8)));
        cluster.UpsertAgent(Snapshot("a", Capacity(4, 8, gpus: 1)) with { Schedulable = false, Version = 7, FoldersUnavailable = "no share" });

        Assert.Equal(["a", "b"], cluster.Nodes.Select(n => n.AgentId).ToArray());
        Assert.False(cluster.Find("a")!.Schedulable);
        Assert.Equal("no share", cluster.Find("a")!.FoldersUnavailable);
        Assert.Null(cluster.Find("b")!.FoldersUnavailable);
        Assert.Equal(7, cluster.Find("a")!.Version);
        Assert.Null(cluster.Find("zzz"));

        cluster.Apply(new Placement("s1", "b", 1000, GiB, []));
        Assert.Equal(3000, cluster.Find("b")!.FreeCpuMilli);
        Assert.Throws<InvalidOperationException>(() => cluster.Apply(new Placement("s2", "b", 4000, GiB, [])));
        Assert.Throws<InvalidOperationException>(() => cluster.Apply(new Placement("s2", "nope", 1, 1, [])));

        cluster.Release("b", "s1");
        Assert.Equal(4000, cluster.Find("b")!.FreeCpuMilli);
        cluster.Release("nope", "s1"); // unknown agent: no-op

        cluster.RemoveAgent("a");
        Assert.Equal(["b"], cluster.Nodes.Select(n => n.AgentId).ToArray());
    }

    [Fact]
    public void Locate_follows_apply_release_upsert_and_remove()
    {
        var cluster = new ClusterState();
        cluster.UpsertAgent(Snapshot("a", Capacity(4, 8), new Allocation("old", 100, 1, [])));
        cluster.UpsertAgent(Snapshot("b", Capacity(4, 8)));
        Assert.Equal("a", cluster.Locate("old"));

        cluster.Apply(new Placement("s1", "b", 1000, GiB, []));
        Assert.Equal("b", cluster.Locate("s1"));
        cluster.Release("a", "s1"); // wrong agent: nothing changes
        Assert.Equal("b", cluster.Locate("s1"));
        cluster.Release("b", "s1");
        Assert.Null(cluster.Locate("s1"));

        cluster.UpsertAgent(Snapshot("a", Capacity(4, 8), new Allocation("new", 100, 1, [])));
        Assert.Null(cluster.Locate("old"));
        Assert.Equal("a", cluster.Locate("new"));

        cluster.RemoveAgent("a");
        Assert.Null(cluster.Locate("new"));
    }

    [Fact]
    public void Upsert_replaces_the_view_with_the_snapshot()
    {
        var cluster = new ClusterState();
        cluster.UpsertAgent(Snapshot("a", Capacity(4, 8)));
        cluster.UpsertAgent(Snapshot("b", Capacity(4, 8)));
        cluster.Apply(new Placement("s1", "a", 1000, GiB, []));

        cluster.UpsertAgent(Snapshot("a", Capacity(8, 8), new Allocation("s9", 500, GiB, [])));

        var a = cluster.Find("a")!;
        Assert.Equal(7500, a.FreeCpuMilli);
        Assert.Equal(["s9"], a.Allocations.Select(x => x.SessionId).ToArray());
        Assert.Same(a, cluster.Nodes.First());
    }
}
