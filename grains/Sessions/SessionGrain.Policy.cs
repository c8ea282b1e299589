using Granary.Policies;

namespace Granary.Sessions;

/// <summary>The session under its owner's resource policy: waiting for the quota to admit it, and its time limits
/// (maxLifetime, idleTimeout) while it runs.</summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan QuotaPollInterval = TimeSpan.FromSeconds(5);
    private IGrainTimer? _quotaPoll;
    private IGrainTimer? _limitTimer;
    private DateTimeOffset _lastActivity;

    private IUserQuotaGrain Quota => GrainFactory.Ref<IUserQuotaGrain>(S.Spec!.Owner);
    private ResourcePolicy Policy => S.Spec!.Policy ?? ResourcePolicy.Unlimited;

    public async Task QuotaAdmitted()
    {
        if (S.Spec is null || S.Status != SessionStatus.Pending || !S.AwaitingQuota)
        {
            return;
        }
        _quotaPoll?.Dispose();
        _quotaPoll = null;
        S.AwaitingQuota = false;
        S.StatusReason = "waiting for the scheduler";
        await Save();
        await Scheduler.Enqueue(ToPending());
    }

    public Task Touched()
    {
        _lastActivity = time.GetUtcNow();
        return Task.CompletedTask;
    }

    /// <summary>While queued by the policy, asks the quota again now and then (Admit is idempotent): covers an
    /// admission notice that was lost.</summary>
    private void PollQuota()
    {
        _quotaPoll ??= this.RegisterGrainTimer(async _ =>
        {
            if (S.Status != SessionStatus.Pending || !S.AwaitingQuota)
            {
                return;
            }
            if ((await Quota.Admit(QuotaRequestOf(S.Spec!))).Outcome == AdmissionOutcome.Admitted)
            {
                await QuotaAdmitted();
            }
        }, new GrainTimerCreationOptions(QuotaPollInterval, QuotaPollInterval) { KeepAlive = true });
    }

    /// <summary>While running under a policy with maxLifetime or idleTimeout, checks them a few times per limit.</summary>
    private void WatchLimits()
    {
        if (_limitTimer is not null || S.Spec is null || S.Status != SessionStatus.Running || SessionLimits.CheckPeriod(Policy) is not { } period)
        {
            return;
        }
        var activated = time.GetUtcNow();
        _lastActivity = _lastActivity > activated ? _lastActivity : activated;
        _limitTimer = this.RegisterGrainTimer(_ => CheckLimits(), new GrainTimerCreationOptions(period, period) { KeepAlive = true });
    }

    private async Task CheckLimits()
    {
        if (S.Status != SessionStatus.Running)
        {
            _limitTimer?.Dispose();
            _limitTimer = null;
            return;
        }
        if (SessionLimits.Exceeded(Policy, S.StartedAt, _lastActivity, time.GetUtcNow()) is { } reason)
        {
            await End(force: false, reason);
        }
    }

    private QuotaRequest QuotaRequestOf(SessionSpec spec) =>
        new(Id, spec.Resources, spec.ResourceGroup, spec.Image, spec.Policy ?? ResourcePolicy.Unlimited);

    private void StopPolicyTimers()
    {
        _limitTimer?.Dispose();
        _limitTimer = null;
        _quotaPoll?.Dispose();
        _quotaPoll = null;
    }
}
