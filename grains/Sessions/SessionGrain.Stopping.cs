namespace Granary.Sessions;

/// <summary>
/// A stop its agent could not carry out (its container engine refused the removal): the session stays TERMINATING,
/// the delete answers 503, and the session asks its agent again every few seconds until it confirms, also in a later
/// activation. So the container goes and the allocation is freed even when the client never sends the delete again.
/// </summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan StopRetryInterval = TimeSpan.FromSeconds(5);
    private RetryUntilDone? _stopRetry;

    private void StopLater(TimeSpan due) =>
        (_stopRetry ??= new RetryUntilDone(this, () => End(force: false, S.StatusReason ?? "termination requested"), StopRetryInterval, Log,
            $"Session {Id}: its stop")).Start(due);
}
