using Granary.Scheduling;

namespace Granary.UnitTests;

public sealed class SchedulerOptionsTests
{
    [Fact]
    public void Defaults_are_the_planner_at_hold_one_tenth_and_fifo()
    {
        var options = new SchedulerOptions();
        var policy = options.PolicyFor("default");
        Assert.Equal(PlacementPolicy.PlanName, policy.Placement);
        Assert.Equal(0.1, options.PlanHold);
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
