using Granary.Policies;

namespace Granary.Sessions;

/// <summary>The session under its owner's resource policy: waiting for the quota to admit it, and its time limits
/// (maxLifetime, idleTimeout) while it runs. A grain timer checks the limits; a reminder (kept where grain state is)
/// brings the session back to do so after a manager restart, when the timer is gone with the activation.</summary>
public sealed partial class SessionGrain
{
    private const string LimitsReminder = "limits";
    private static readonly TimeSpan QuotaPollInterval = TimeSpan.FromSeconds(5);
    private bool _limitsReminded;
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
        await Enqueue();
    }

    /// <summary>Activation has done the rest (OnActivateAsync publishes the session and queues it again). Nothing
    /// stored: the create that was admitted never stored this session (its manager died, or its store failed), and
    /// no create is running now, for a create holds the grain's turn until it has stored.</summary>
    public async Task CheckAdmission(string owner)
    {
        if (S.Spec is null)
        {
            await GrainFactory.Ref<IUserQuotaGrain>(owner).Release(Id);
            DeactivateOnIdle();
        }
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

    /// <summary>Once per activation while running under limits (registering writes the reminder table).</summary>
    private async Task RemindOfLimits()
    {
        if (_limitsReminded || SessionLimits.CheckPeriod(Policy) is not { } period)
        {
            return;
        }
        var minimum = reminders.Value.MinimumReminderPeriod;
        var every = period > minimum ? period : minimum;
        await this.RegisterOrUpdateReminder(LimitsReminder, every, every);
        _limitsReminded = true;
    }

    private async Task ForgetLimitsReminder()
    {
        if (S.Spec is null || SessionLimits.CheckPeriod(Policy) is null)
        {
            return;
        }
        if (await this.GetReminder(LimitsReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
        _limitsReminded = false;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (S.Spec is null || S.Status != SessionStatus.Running)
        {
            await ForgetLimitsReminder();
            return;
        }
        _limitsReminded = true;
        WatchLimits();
        await CheckLimits();
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
