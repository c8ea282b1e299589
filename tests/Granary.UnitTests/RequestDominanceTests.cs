using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class RequestDominanceTests
{
    [Theory]
    [InlineData(2, 2, 0, 0, null, 1, 1, 0, 0, null, true)]
    [InlineData(1, 2, 0, 0, null, 2, 1, 0, 0, null, false)]       // less CPU
    [InlineData(2, 2, 1, 0, null, 1, 1, 0, 0, null, true)]        // a GPU on top of a CPU-only request
    [InlineData(2, 2, 0, 0, null, 1, 1, 1, 0, null, false)]       // no GPU vs whole GPU
    [InlineData(2, 2, 2, 0, null, 1, 1, 1, 0, null, true)]
    [InlineData(2, 2, 0, 500, null, 1, 1, 0, 400, null, true)]
    [InlineData(2, 2, 0, 300, null, 1, 1, 0, 400, null, false)]   // smaller fraction
    [InlineData(2, 2, 1, 0, null, 1, 1, 0, 400, null, false)]     // whole vs fraction: not comparable
    [InlineData(2, 2, 1, 0, "A", 1, 1, 1, 0, null, true)]         // fewer allowed models is harder
    [InlineData(2, 2, 1, 0, null, 1, 1, 1, 0, "A", false)]        // any model is easier than model A
    [InlineData(2, 2, 1, 0, "a", 1, 1, 1, 0, "A", true)]
    [InlineData(2, 2, 1, 0, "B", 1, 1, 1, 0, "A", false)]
    public void NeedsAtLeast(int cpuA, int memA, int gpuA, int fgpuA, string? modelA, int cpuB, int memB, int gpuB, int fgpuB, string? modelB, bool expected)
    {
        var a = Request(cpuA, memA, gpuA, fgpuA, modelA is null ? null : [modelA]);
        var b = Request(cpuB, memB, gpuB, fgpuB, modelB is null ? null : [modelB]);
        Assert.Equal(expected, RequestDominance.NeedsAtLeast(a, b));
    }

    [Fact]
    public void Mounting_folders_is_harder_than_not()
    {
        var mounting = Request(1, 1) with { MountsFolders = true };
        Assert.True(RequestDominance.NeedsAtLeast(mounting, Request(1, 1)));
        Assert.False(RequestDominance.NeedsAtLeast(Request(2, 2), mounting));
        Assert.False(RequestDominance.SameNeeds(mounting, Request(1, 1)));
    }

    [Fact]
    public void SameNeeds_compares_models_as_sets()
    {
        Assert.True(RequestDominance.SameNeeds(Request(1, 1, 1, models: ["A", "B"]), Request(1, 1, 1, models: ["b", "a"])));
        Assert.False(RequestDominance.SameNeeds(Request(1, 1, 1, models: ["A"]), Request(1, 1, 1)));
    }

    [Fact]
    public void Plan_gives_each_unplaceable_request_its_own_accurate_reason()
    {
        var cluster = Cluster(Node("a", 4, 32));
        var queue = Queue(("m64", Request(1, 64)), ("m64b", Request(1, 64)), ("m128", Request(1, 128)), ("small", Request(1, 1)));

        var plan = Scheduler.Plan(queue, cluster, new SchedulingPolicy(MaxSkips: 10));

        Assert.Equal("insufficient memory: needs 64 GiB, largest free 32 GiB on a", plan.PendingReasons["m64"]);
        Assert.Equal(plan.PendingReasons["m64"], plan.PendingReasons["m64b"]);
        Assert.Equal("insufficient memory: needs 128 GiB, largest free 32 GiB on a", plan.PendingReasons["m128"]);
        Assert.Equal("small", Assert.Single(plan.Placements).SessionId);
        Assert.Equal(1, plan.Skips["m128"]);
    }
}
