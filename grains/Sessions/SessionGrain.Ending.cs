using Microsoft.Extensions.Logging;

namespace Granary.Sessions;

/// <summary>
/// A session that reached a final status leaves its scheduler and its owner's quota, and releases its folders. Each
/// lives on another grain whose silo may just have died (folders live on agent silos, which restart), so what fails
/// is retried every few seconds until done, also by a later activation: a folder left marked as mounted could never
/// be deleted, and a hold left in the quota would count against its owner for ever. The session's end itself is
/// stored first and stands either way. Each attempt waits at most ReleasePatience: a call to a silo that died a
/// moment ago can hang for the whole response timeout (30 s), and the session, which answers nothing meanwhile,
/// would make its own delete answer 503.
/// </summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan ReleaseRetryInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReleasePatience = TimeSpan.FromSeconds(5);
    private RetryUntilDone? _releaseRetry;

    private async Task Ended()
    {
        StopPolicyTimers();
        try
        {
            await Release();
        }
        catch (Exception exception)
        {
            Log.LogWarning(exception, "Session {Session}: leaving its scheduler, quota or folders failed; trying again every {Interval}", Id, ReleaseRetryInterval);
            // The timer first: if storing the flag fails too, this activation still retries.
            ReleaseLater(ReleaseRetryInterval);
            S.ReleasePending = true;
            await Store(); // not in the view
        }
    }

    /// <summary>Every step is idempotent, so a retry repeats the whole; an attempt gives up after ReleasePatience.</summary>
    private Task Release() => ReleaseSteps().WaitAsync(ReleasePatience);

    private async Task ReleaseSteps()
    {
        await ForgetLimitsReminder();
        await Task.WhenAll(Scheduler.Dequeue(Id), Quota.Release(Id));
        await DetachFolders();
    }

    private void ReleaseLater(TimeSpan due) =>
        (_releaseRetry ??= new RetryUntilDone(this, async () =>
        {
            await Release();
            S.ReleasePending = false;
            await Store();
        }, ReleaseRetryInterval, Log, $"Session {Id}: leaving its scheduler, quota or folders")).Start(due);
}
