using Granary.Agents;
using Granary.Agents.Launch;
using Microsoft.Extensions.Logging;

namespace Granary.Sessions;

/// <summary>
/// A SCHEDULED session asks its agent to start it until the agent answers. Once a session has taken its placement it
/// declines every later Assign, so nothing but this grain can move it on: a start that failed before the agent
/// answered (the image catalog's manager died with the call in flight, storage was down) is asked again every few
/// seconds, also in a later activation, instead of leaving the session SCHEDULED for ever.
/// </summary>
public sealed partial class SessionGrain
{
    private static readonly TimeSpan StartRetryInterval = TimeSpan.FromSeconds(2);
    private RetryUntilDone? _startRetry;

    /// <summary>The agent's Start is idempotent, and an attempt does nothing once the session has left SCHEDULED.</summary>
    private void StartLater(TimeSpan due) =>
        (_startRetry ??= new RetryUntilDone(this, StartOnAgent, StartRetryInterval, Log, $"Session {Id}: its start")).Start(due);

    /// <summary>Assign's start. A failure before the agent is asked is logged and retried here, not handed to the
    /// scheduler, whose placement this session has already stored. The agent's refusal, and a refusal that cannot be
    /// stored or reported, still reach the scheduler through Assign, which then frees the placement at once.</summary>
    private async Task StartAfterAssign()
    {
        try
        {
            await PrepareStart();
        }
        catch (Exception exception)
        {
            Log.LogWarning(exception, "Session {Session}: preparing its start failed; trying again every {Interval}", Id, StartRetryInterval);
            StartLater(StartRetryInterval);
            return;
        }
        await AskAgent();
    }

    private async Task StartOnAgent()
    {
        await PrepareStart();
        await AskAgent();
    }

    /// <summary>What the agent needs besides the spec: the apps' secret and, for an image that serves SSH, a key.</summary>
    private async Task PrepareStart()
    {
        if (S.Status != SessionStatus.Scheduled)
        {
            return;
        }

        if (S.AppSecret is null)
        {
            // A session stored as scheduled before Assign made the secret.
            S.AppSecret = NewAppSecret();
            await Store(); // not in the view
        }

        if (S.SshKey is null && await ImageServesSsh(S.Spec!.Image))
        {
            var pair = SshKeyPair.Generate($"granary-session-{Id}");
            S.SshKey = new SshKey(pair.PublicKey, pair.PrivateKey);
            await Store(); // not in the view
        }
    }

    private async Task AskAgent()
    {
        if (S.Status != SessionStatus.Scheduled || S.Placement is not { } placement)
        {
            return;
        }

        StartDecision decision;
        try
        {
            decision = await Agent(placement.AgentId).Start(placement, S.Spec!, S.SshKey, S.AppSecret);
        }
        catch (Exception exception)
        {
            Log.LogWarning(exception, "Session {Session}: agent {Agent} did not answer the start", Id, placement.AgentId);
            decision = new StartDecision(false, "agent unreachable (see the manager's log)");
        }
        if (decision.Accepted)
        {
            return;
        }

        var reason = decision.Reason ?? "refused";
        S.Placement = null;
        MoveTo(SessionStatus.Pending, $"placement on {placement.AgentId} refused: {reason}");
        try
        {
            await Save();
            await Scheduler.PlacementRefused(placement, reason);
        }
        catch
        {
            // Pending in memory: asked again until the scheduler takes it (once it has let the placement go, at once
            // when this came through Assign, after its in-flight timeout otherwise).
            RetryEnqueue();
            throw;
        }
        // Enqueue is idempotent; it covers a scheduler that no longer remembers this placement.
        await Enqueue();
    }
}
