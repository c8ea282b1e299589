using Granary.Policies;

namespace Granary.UnitTests.Policies;

public sealed class SessionLimitsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_policy_without_time_limits_is_never_checked()
        => Assert.Null(SessionLimits.CheckPeriod(ResourcePolicy.Unlimited));

    [Theory]
    [InlineData(2, null, 500)] // a quarter of the shortest limit
    [InlineData(600, 8.0, 2_000)]
    [InlineData(0.2, null, 100)] // never more often than every 100 ms
    [InlineData(7_200, null, 30_000)] // nor less often than every 30 s
    public void Limits_are_checked_four_times_per_shortest_limit_within_bounds(double lifetimeSeconds, double? idleSeconds, int periodMs)
    {
        var policy = ResourcePolicy.Unlimited with
        {
            MaxLifetime = TimeSpan.FromSeconds(lifetimeSeconds),
            IdleTimeout = idleSeconds is { } idle ? TimeSpan.FromSeconds(idle) : null,
        };
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), SessionLimits.CheckPeriod(policy));
    }

    [Fact]
    public void A_session_past_its_lifetime_ends_with_the_limit_and_the_policy_named()
    {
        var policy = new ResourcePolicy("lab", MaxLifetime: TimeSpan.FromSeconds(90), IdleTimeout: TimeSpan.FromHours(1));
        Assert.Null(SessionLimits.Exceeded(policy, Start, Start, Start.AddSeconds(89)));
        Assert.Equal("ran for its maximum lifetime of 90 s (maxLifetime of the resource policy \"lab\")",
            SessionLimits.Exceeded(policy, Start, Start.AddSeconds(89), Start.AddSeconds(90)));
    }

    [Fact]
    public void An_idle_session_ends_counting_from_its_last_use_and_lifetime_wins_when_both_are_past()
    {
        var policy = new ResourcePolicy("lab", MaxLifetime: TimeSpan.FromHours(3), IdleTimeout: TimeSpan.FromMinutes(30));
        var used = Start.AddMinutes(10);
        Assert.Null(SessionLimits.Exceeded(policy, Start, used, used.AddMinutes(29)));
        Assert.Equal("idle: no app traffic, terminal input or SSH connection for 00:30:00 (idleTimeout of the resource policy \"lab\")",
            SessionLimits.Exceeded(policy, Start, used, used.AddMinutes(30)));
        Assert.StartsWith("ran for its maximum lifetime of 03:00:00", SessionLimits.Exceeded(policy, Start, used, Start.AddHours(3)), StringComparison.Ordinal);
    }

    [Fact]
    public void Lifetime_counts_only_once_the_session_started()
    {
        var policy = new ResourcePolicy("lab", MaxLifetime: TimeSpan.FromSeconds(1));
        Assert.Null(SessionLimits.Exceeded(policy, startedAt: null, Start, Start.AddHours(1)));
    }
}
