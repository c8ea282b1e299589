using System.Globalization;

namespace Granary.Policies;

/// <summary>
/// A running session's time limits under its resource policy: how often to check them (a quarter of the shortest,
/// between 100 ms and 30 s) and, at a given time, which one it has run past, in words for its final reason.
/// </summary>
public static class SessionLimits
{
    private static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPeriod = TimeSpan.FromSeconds(30);

    /// <summary>Null when the policy sets neither maxLifetime nor idleTimeout.</summary>
    public static TimeSpan? CheckPeriod(ResourcePolicy policy)
    {
        var shortest = new[] { policy.MaxLifetime, policy.IdleTimeout }.Where(limit => limit is not null).Min();
        return shortest is { } limit
            ? TimeSpan.FromTicks(Math.Clamp(limit.Ticks / 4, ShortestPeriod.Ticks, LongestPeriod.Ticks))
            : null;
    }

    /// <summary>The reason to end the session at now (maxLifetime first), or null while it is within its limits.</summary>
    public static string? Exceeded(ResourcePolicy policy, DateTimeOffset? startedAt, DateTimeOffset lastActivity, DateTimeOffset now)
    {
        if (policy.MaxLifetime is { } lifetime && startedAt is { } started && now - started >= lifetime)
            return $"ran for its maximum lifetime of {Format(lifetime)} (maxLifetime of the resource policy \"{policy.Name}\")";
        if (policy.IdleTimeout is { } idle && now - lastActivity >= idle)
            return $"idle: no app traffic, terminal input or SSH connection for {Format(idle)} (idleTimeout of the resource policy \"{policy.Name}\")";
        return null;
    }

    private static string Format(TimeSpan span)
        => span.TotalSeconds < 120 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s") : span.ToString();
}
