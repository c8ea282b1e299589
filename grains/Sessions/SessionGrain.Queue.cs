namespace Granary.Sessions;

/// <summary>A pending session is in its scheduler's queue, whatever happens to the call that puts it there.</summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan EnqueueRetryInterval = TimeSpan.FromSeconds(5);
    private RetryUntilDone? _enqueueRetry;

    /// <summary>Asks the scheduler to place this session. When the call fails (its manager died, storage is down)
    /// the session is already stored as pending: it asks again every few seconds until the scheduler takes it,
    /// instead of waiting for the scheduler for ever. The failure still reaches the caller.</summary>
    private async Task Enqueue()
    {
        try
        {
            await Scheduler.Enqueue(ToPending());
        }
        catch
        {
            RetryEnqueue();
            throw;
        }
    }

    /// <summary>Enqueue is idempotent, so asking again is always safe, as long as the session still waits for it.</summary>
    private void RetryEnqueue() =>
        (_enqueueRetry ??= new RetryUntilDone(this, async () =>
        {
            if (S.Status == SessionStatus.Pending && !S.AwaitingQuota)
            {
                await Scheduler.Enqueue(ToPending());
            }
        }, EnqueueRetryInterval, Log, $"Session {Id}: joining its scheduler's queue")).Start(TimeSpan.Zero);
}
