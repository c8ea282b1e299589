namespace Granary.Policies;

/// <summary>Users' admissions ("Granary:Quota").</summary>
public sealed class QuotaOptions
{
    public const string Section = "Granary:Quota";

    /// <summary>How often a user's quota asks the sessions it admitted that have not started, and those it queued,
    /// to check their admission (UserQuotaGrain): how long a session a dead manager left half created waits.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
