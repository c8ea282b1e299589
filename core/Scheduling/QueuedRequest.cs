namespace Granary.Scheduling;

/// <summary>A pending session in the scheduler's queue, with how often a later request has been placed ahead of it.</summary>
public sealed record QueuedRequest(PendingSession Session, int Skips);
