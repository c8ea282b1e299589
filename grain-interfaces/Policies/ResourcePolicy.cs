namespace Granary.Policies;

/// <summary>What a user may hold at once, and for how long (Backend.AI's keypair resource policies are the model).
/// A null limit is no limit. Totals count every live session the policy admitted (waiting for the scheduler or
/// running); MaxPendingSessions counts the user's sessions not yet running. OverLimit says what a create over a
/// limit gets: a 4xx naming the limit (Refuse), or PENDING with that reason until it fits (Queue).</summary>
[GenerateSerializer, Immutable]
public sealed record ResourcePolicy(
    [property: Id(0)] string Name,
    [property: Id(1)] int? MaxConcurrentSessions = null,
    [property: Id(2)] int? MaxPendingSessions = null,
    [property: Id(3)] long? CpuMilli = null,
    [property: Id(4)] long? MemoryBytes = null,
    [property: Id(5)] int? Gpus = null,
    [property: Id(6)] long? FgpuMilli = null,
    [property: Id(7)] string[]? ResourceGroups = null,
    [property: Id(8)] string[]? Images = null,
    [property: Id(9)] TimeSpan? MaxLifetime = null,
    [property: Id(10)] TimeSpan? IdleTimeout = null,
    [property: Id(11)] OverLimit OverLimit = OverLimit.Refuse)
{
    public const string DefaultName = "default";

    /// <summary>What applies when no policy named "default" is defined: no limits.</summary>
    public static ResourcePolicy Unlimited { get; } = new(DefaultName);
}

public enum OverLimit
{
    Refuse,
    Queue,
}
