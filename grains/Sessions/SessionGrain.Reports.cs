using Granary.Telemetry;
using Microsoft.Extensions.Logging;

namespace Granary.Sessions;

/// <summary>What the session's agent reports (status changes, app readiness), applied through the state machine.</summary>
public sealed partial class SessionGrain
{
    public async Task Report(params RuntimeReport[] reports)
    {
        var changed = false;
        foreach (var report in reports)
        {
            changed |= await Apply(report);
        }
        if (!changed)
        {
            return;
        }
        await Save();
        if (S.Status == SessionStatus.Running)
        {
            _ = Quota.Started(Id);
            WatchLimits();
            await RemindOfLimits();
        }
        if (SessionTransitions.IsFinal(S.Status))
        {
            await Ended();
        }
    }

    /// <summary>Applies one agent report to the state (not yet stored); false when it changes nothing.</summary>
    private async Task<bool> Apply(RuntimeReport report)
    {
        if (S.Spec is null)
        {
            Log.LogWarning("Session {Session} does not exist; ignoring a {Status} report from {Agent}", Id, report.Status, report.AgentId);
            return false;
        }
        var fromAnotherAgent = report.AgentId is not null && report.AgentId != S.Placement?.AgentId;
        if (report.App is { } app)
        {
            return !fromAnotherAgent && ApplyApp(app);
        }
        if (fromAnotherAgent || (SessionTransitions.IsFinal(S.Status) && IsAlive(report.Status)))
        {
            // That agent runs something this session no longer wants: the session was placed elsewhere after a
            // start that timed out, or ended while the agent was unreachable. Stop it there.
            Log.LogWarning("Session {Session} ({Status}) got a {Reported} report from {Agent}; stopping it there",
                Id, S.Status, report.Status, report.AgentId);
            if (report.AgentId is not null && IsAlive(report.Status))
            {
                await Agent(report.AgentId).Stop(Id, force: true);
            }
            return false;
        }
        if (report.Status == S.Status)
        {
            return false;
        }
        if (!SessionTransitions.IsAllowed(S.Status, report.Status))
        {
            // A late report (the session moved on meanwhile): the state machine refuses it, nothing changes.
            Log.LogInformation("Session {Session} is {Status}; refusing the agent's {Reported} report", Id, S.Status, report.Status);
            return false;
        }

        var now = time.GetUtcNow();
        S.ContainerId = report.ContainerId ?? S.ContainerId;
        if (report.Status == SessionStatus.Running)
        {
            S.StartedAt = now;
            S.Apps = report.Apps ?? [];
            GranaryMetrics.SessionStartDuration.Record((now - S.CreatedAt).TotalSeconds);
        }
        if (SessionTransitions.IsFinal(report.Status))
        {
            S.TerminatedAt = now;
            S.ExitCode = report.ExitCode;
        }
        MoveTo(report.Status, report.Reason);
        return true;
    }

    /// <summary>An app of the running session answers (or failed to): its state changes and the log gets an event.</summary>
    private bool ApplyApp(AppReadiness app)
    {
        var index = Array.FindIndex(S.Apps, a => a.Name == app.Name);
        if (S.Status != SessionStatus.Running || index < 0 || S.Apps[index].State == app.State)
        {
            return false;
        }
        var apps = (AppEndpoint[])S.Apps.Clone();
        apps[index] = apps[index] with { State = app.State };
        S.Apps = apps;
        S.Events.Add(new SessionEvent(S.Events.Count + 1, S.Status, app.Reason, time.GetUtcNow(), app));
        Log.LogInformation("Session {Session}: app {App} is {State}: {Reason}", Id, app.Name, app.State, app.Reason);
        return true;
    }

    private static bool IsAlive(SessionStatus reported) =>
        reported is SessionStatus.Preparing or SessionStatus.Pulling or SessionStatus.Running;
}
