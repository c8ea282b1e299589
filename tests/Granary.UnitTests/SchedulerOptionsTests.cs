using Granary.Scheduling;

namespace Granary.UnitTests;

public sealed class SchedulerOptionsTests
{
    [Fact]
    public void Defaults_are_the_fragmentation_aware_placement_and_fifo()
    {
        var policy = new SchedulerOptions().PolicyFor("default");
        Assert.Equal(PlacementPolicy.DefaultName, policy.Placement);
        Assert.Equal("fifo", policy.Queue);
        Assert.Equal(16, policy.MaxSkips);
    }

    [Fact]
    public void A_group_overrides_placement_queue_and_skips_and_other_groups_keep_the_defaults()
    {
        var options = new SchedulerOptions
        {
            Policy = "worstfit",
            Queue = "lifo",
            Groups = { ["training"] = new SchedulerGroupOptions { Policy = "bestfit", Queue = "drf", MaxSkips = 3 } },
        };

        Assert.Equal(new SchedulingPolicy("bestfit", "drf", 3), options.PolicyFor("training"));
        Assert.Equal(new SchedulingPolicy("worstfit", "lifo", 16), options.PolicyFor("interactive"));
    }
}
