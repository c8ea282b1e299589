using Granary.Resources;
using Orleans.Concurrency;

namespace Granary.Policies;

/// <summary>
/// One user's admissions under their resource policy (key: user id). Admissions of one user are decided one at a
/// time (each before the grain's first await; their state writes are shared), so limits hold however many creates
/// arrive at once.
/// Call graph: sessions await Admit and Release; this grain awaits nothing but its own storage, and tells a
/// queued session it was admitted, or asks a waiting one to check its admission, with one-way calls
/// (ISessionGrain.QuotaAdmitted, CheckAdmission), so no cycle can form.
/// </summary>
public interface IUserQuotaGrain : IGrainWithStringKey
{
    /// <summary>Reserves the session's resources under the policy, or queues or refuses it. Idempotent for a
    /// session already admitted or queued.</summary>
    Task<Admission> Admit(QuotaRequest request);

    /// <summary>The session reached RUNNING: it no longer counts as pending.</summary>
    [OneWay]
    Task Started(string sessionId);

    /// <summary>The session ended (or never got created): its reservation or its place in the queue goes, and
    /// queued sessions that now fit are admitted. Idempotent.</summary>
    Task Release(string sessionId);

    [ReadOnly]
    Task<QuotaUsage> Usage();
}

[GenerateSerializer, Immutable]
public sealed record QuotaRequest(
    [property: Id(0)] string SessionId,
    [property: Id(1)] ResourceRequest Resources,
    [property: Id(2)] string ResourceGroup,
    [property: Id(3)] string Image,
    [property: Id(4)] ResourcePolicy Policy);

public enum AdmissionOutcome
{
    Admitted,
    Queued,
    Refused,
}

/// <summary>Limit names the policy field that stopped the session (e.g. "maxConcurrentSessions").</summary>
[GenerateSerializer, Immutable]
public sealed record Admission(
    [property: Id(0)] AdmissionOutcome Outcome,
    [property: Id(1)] string? Limit = null,
    [property: Id(2)] string? Reason = null)
{
    public static Admission Admitted { get; } = new(AdmissionOutcome.Admitted);
}

/// <summary>What a user holds now: admitted sessions (Pending: not yet running) and sessions waiting in the queue.</summary>
[GenerateSerializer, Immutable]
public sealed record QuotaUsage(
    [property: Id(0)] int Sessions,
    [property: Id(1)] int Pending,
    [property: Id(2)] int Queued,
    [property: Id(3)] long CpuMilli,
    [property: Id(4)] long MemoryBytes,
    [property: Id(5)] int Gpus,
    [property: Id(6)] long FgpuMilli);

/// <summary>A session the policy admitted: what it holds, and whether it has started running.</summary>
[GenerateSerializer, Immutable]
public sealed record QuotaHold(
    [property: Id(0)] ResourceRequest Resources,
    [property: Id(1)] bool Started);
