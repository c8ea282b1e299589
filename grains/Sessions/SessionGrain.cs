using Granary.Agents;
using Granary.Policies;
using Granary.Scheduling;
using Granary.SiloPlacement;
using Granary.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Sessions;

/// <summary>
/// One session's state machine and event log; the only writer of its status.
/// Call graph and why it cannot deadlock: a session awaits its scheduler and its agent, but neither of those
/// ever awaits a session inside one of its turns (the scheduler sends Assign from outside its turns and is
/// reentrant, the agent's Start interleaves and it sends reports from a background pump). So Assign asks the agent
/// to start within its own turn, and hands a refusal back to the scheduler from there. A session awaits its owner's
/// UserQuotaGrain (admission and release), which only ever answers a session one-way.
/// </summary>
[ManagerPlacement]
public sealed partial class SessionGrain(
    [PersistentState("session", GranaryStorage.Name)] IPersistentState<SessionState> state,
    ImageCatalogCache images,
    TimeProvider time,
    IOptions<ReminderOptions> reminders,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain, IRemindable
{
    private const string SshApp = "ssh";
    private const string SessionUser = "work";
    private ILogger? _log;

    private string? _id;
    // GetPrimaryKeyString decodes a new string on every call, and a session reads its id some twenty times.
    private string Id => _id ??= this.GetPrimaryKeyString();
    private SessionState S => state.State;
    private ISchedulerGrain Scheduler => GrainFactory.Ref<ISchedulerGrain>(S.Spec!.ResourceGroup);
    private IAgentGrain Agent(string agentId) => GrainFactory.Ref<IAgentGrain>(agentId);
    private ILogger Log => _log ??= new SessionLogger(logger, () => new SessionLogFields(Id, S.Placement?.AgentId, S.Spec?.Owner));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A session left SCHEDULED by an earlier activation may never have reached its agent; the agent's Start
        // is idempotent, so ask again (in a turn of its own, not in activation).
        if (S.Spec is not null && S.Status == SessionStatus.Scheduled)
        {
            StartLater(TimeSpan.Zero);
        }
        if (S.Spec is not null && S.Status == SessionStatus.Pending && S.AwaitingQuota)
        {
            PollQuota();
        }
        // A pending session stored by an activation whose enqueue may have failed (its silo died after the write).
        if (S.Spec is not null && S.Status == SessionStatus.Pending && !S.AwaitingQuota)
        {
            RetryEnqueue();
        }
        // The last activation may have died between storing a change and publishing it.
        if (S.Spec is not null)
        {
            PublishLater(TimeSpan.Zero);
        }
        if (S.Spec is not null && S.ReleasePending)
        {
            ReleaseLater(TimeSpan.Zero);
        }
        // The last activation may have died, or its agent failed, between storing TERMINATING and the agent's stop.
        if (S.Spec is not null && S.Status == SessionStatus.Terminating)
        {
            StopLater(TimeSpan.Zero);
        }
        WatchLimits();
        return Task.CompletedTask;
    }

    public async Task<SessionView> Create(SessionSpec spec)
    {
        if (S.Spec is not null)
        {
            // The same create sent again (its id comes from the owner's Idempotency-Key): the session it made.
            return S.Spec.Owner == spec.Owner ? View() : throw new InvalidOperationException($"Session '{Id}' already exists.");
        }
        // Reserved before anything is stored: a refusal leaves nothing behind, and the owner's quota grain decides
        // admissions one at a time, so concurrent creates cannot overshoot a limit.
        var quota = GrainFactory.Ref<IUserQuotaGrain>(spec.Owner);
        var policy = spec.Policy ?? ResourcePolicy.Unlimited;
        var admission = await quota.Admit(QuotaRequestOf(spec));
        if (admission.Outcome == AdmissionOutcome.Refused)
        {
            throw new QuotaRefusedException(admission.Limit!, policy.Name, admission.Reason!);
        }
        try
        {
            await AttachFolders(spec);
        }
        catch
        {
            await quota.Release(Id);
            throw;
        }
        var now = time.GetUtcNow();
        S.Spec = spec;
        S.CreatedAt = now;
        S.Status = SessionStatus.Pending;
        S.AwaitingQuota = admission.Outcome == AdmissionOutcome.Queued;
        S.StatusReason = S.AwaitingQuota ? admission.Reason : "waiting for the scheduler";
        Append(now);
        await Store();

        // Independent of each other, so sent together: the create waits for the slowest, not for their sum.
        await Task.WhenAll(PublishOrRetry(), S.AwaitingQuota ? Task.CompletedTask : Enqueue());
        if (S.AwaitingQuota)
        {
            PollQuota();
        }
        return View();
    }

    public Task<SessionView?> Get() => Task.FromResult(S.Spec is null ? null : View());

    public Task<IndexedSession?> GetIndexed() => Task.FromResult(S.Spec is null ? null : new IndexedSession(View(), S.Revision));

    public Task<IReadOnlyList<SessionEvent>> GetEvents(long afterSequence) =>
        Task.FromResult<IReadOnlyList<SessionEvent>>(S.Events.Where(e => e.Sequence > afterSequence).ToArray());

    public async Task<bool> Assign(Placement placement)
    {
        if (S.Spec is null || S.Status != SessionStatus.Pending)
        {
            return false;
        }
        S.Placement = placement;
        // Made here, stored with the placement: one write fewer on the way to RUNNING than storing it on its own.
        S.AppSecret ??= NewAppSecret();
        MoveTo(SessionStatus.Scheduled, $"placed on {placement.AgentId}");
        try
        {
            await Save();
        }
        catch
        {
            // Taken in memory, so the scheduler's next Assign is declined: from here on only this grain starts it.
            StartLater(StartRetryInterval);
            throw;
        }
        await StartAfterAssign();
        return true;
    }

    public async Task SetPendingReason(string reason)
    {
        if (S.Spec is null || S.Status != SessionStatus.Pending || S.StatusReason == reason)
        {
            return;
        }
        S.StatusReason = reason;
        await Save();
    }

    public Task<SessionView> Terminate(bool force) =>
        End(force, force ? "forced termination requested" : "termination requested");

    public Task<SessionView> End(string reason) => End(force: false, reason);

    /// <summary>Requested: the reason the caller gives, also the final reason unless it is a plain request.</summary>
    private async Task<SessionView> End(bool force, string requested)
    {
        if (S.Spec is null)
        {
            throw new InvalidOperationException($"Session '{Id}' does not exist.");
        }
        if (SessionTransitions.IsFinal(S.Status))
        {
            return View();
        }
        if (S.Status == SessionStatus.Pending)
        {
            S.TerminatedAt = time.GetUtcNow();
            MoveTo(SessionStatus.Cancelled, IsPlainRequest(requested) ? "cancelled before it was placed" : $"cancelled: {requested}");
            await Save();
            await Ended();
            return View();
        }
        if (S.Status != SessionStatus.Terminating)
        {
            MoveTo(SessionStatus.Terminating, requested);
            await Save();
        }

        var reason = IsPlainRequest(requested) ? "terminated" : $"terminated: {requested}";
        if (S.NodeUnreachableSince is not null && S.Placement is { } lost)
        {
            // Its node is lost: waiting for it would hang. The node removes the container when it returns.
            reason = $"terminated while node {lost.AgentId} was unreachable; the node removes the container when it returns";
        }
        else if (S.Placement is { } placement)
        {
            try
            {
                await Agent(placement.AgentId).Stop(Id, force);
            }
            catch (Exception exception) when (force)
            {
                Log.LogWarning(exception, "Session {Session}: agent {Agent} did not confirm the stop; ending it anyway", Id, placement.AgentId);
                reason = $"forced: agent {placement.AgentId} did not confirm the stop (see the manager's log)";
            }
            catch (Exception exception)
            {
                Log.LogWarning(exception, "Session {Session}: agent {Agent} did not confirm the stop; asking again every {Interval}", Id, placement.AgentId, StopRetryInterval);
                StopLater(StopRetryInterval);
                throw;
            }
        }
        S.TerminatedAt = time.GetUtcNow();
        MoveTo(SessionStatus.Terminated, reason);
        await Save();
        await Ended();
        return View();
    }

    public Task<SshAccess?> GetSsh()
    {
        var ssh = S.Apps.FirstOrDefault(a => a.Name == SshApp);
        return Task.FromResult(S.Status == SessionStatus.Running && ssh is not null && S.SshKey is { } key
            ? new SshAccess(ssh.Host, ssh.Port, SessionUser, key.PrivateKey)
            : null);
    }

    public Task<string?> GetAppSecret() =>
        Task.FromResult(S.Status == SessionStatus.Running ? S.AppSecret : null);

    public async Task<string> GetLogs(int tailLines) =>
        S.Placement is { } placement ? await Agent(placement.AgentId).GetLogs(Id, tailLines) : "";

    private static string NewAppSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private async Task<bool> ImageServesSsh(string image) =>
        (await images.Find(image))?.Apps.Any(a => a.Name == SshApp) ?? false;

    private static bool IsPlainRequest(string reason) => reason is "termination requested" or "forced termination requested";

    private void MoveTo(SessionStatus to, string? reason)
    {
        SessionTransitions.Ensure(S.Status, to);
        S.Status = to;
        S.StatusReason = reason;
        Append(time.GetUtcNow());
    }

    private void Append(DateTimeOffset at)
    {
        S.Events.Add(new SessionEvent(S.Events.Count + 1, S.Status, S.StatusReason, at));
        LogTransition();
        GranaryMetrics.SessionEntered(S.Status);
    }

    /// <summary>An operator reads that a session waits, where it runs, and how it ended (and why, when no one asked):
    /// those lines are Information. The steps between are Debug: at Information every step was a line (six a session;
    /// a tenth of a loaded manager's CPU samples were in the console logger); the session's events keep every step.</summary>
    private void LogTransition()
    {
        var level = S.Status switch
        {
            SessionStatus.Scheduled or SessionStatus.Preparing or SessionStatus.Pulling => LogLevel.Debug,
            SessionStatus.Terminating when S.StatusReason is { } reason && IsPlainRequest(reason) => LogLevel.Debug,
            _ => LogLevel.Information,
        };
        if (S.Status == SessionStatus.Running)
        {
            Log.Log(level, "Session {Session} is {Status} on {Node}", Id, S.Status, S.Placement?.AgentId);
        }
        else if (S.StatusReason is null)
        {
            Log.Log(level, "Session {Session} is {Status}", Id, S.Status);
        }
        else
        {
            Log.Log(level, "Session {Session} is {Status}: {Reason}", Id, S.Status, S.StatusReason);
        }
    }

    private PendingSession ToPending() =>
        new(Id, S.Spec!.Owner, S.Spec.Resources with { MountsFolders = S.Spec.Mounts.Length > 0 }, S.Spec.Priority, S.CreatedAt);

    /// <summary>Stores the state and tells the owner's index the new view (its lists then need not ask this grain).</summary>
    private async Task Save()
    {
        await Store();
        await PublishOrRetry();
    }

    private async Task Store()
    {
        S.Revision++;
        await state.WriteStateAsync();
    }

    private SessionView View() => new(
        Id, S.Spec!, S.Status, S.StatusReason, S.Placement?.AgentId, S.Placement?.Gpus ?? [],
        S.CreatedAt, S.StartedAt, S.TerminatedAt, S.ExitCode, S.Apps, S.ContainerId, S.NodeUnreachableSince);
}
