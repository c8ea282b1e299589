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
    private RetryUntilDone StartRetry => _startRetry ??= new RetryUntilDone(this, StartOnAgent, StartRetryInterval);

    private void StartLater(TimeSpan due) => StartRetry.Start(due);

    /// <summary>Starts now; a failure is logged and asked again, not handed to the caller (the scheduler, whose
    /// placement this session has already stored).</summary>
    private Task StartOrRetry() => StartRetry.RunOrRetry(exception =>
        Log.LogWarning(exception, "Session {Session}: its start did not reach its agent; trying again every {Interval}", Id, StartRetryInterval));

    private async Task StartOnAgent()
    {
        if (S.Status != SessionStatus.Scheduled || S.Placement is not { } placement)
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
            // Pending in memory, so the start's retry stops here: the enqueue's own retry takes over.
            RetryEnqueue();
            throw;
        }
        // Enqueue is idempotent; it covers a scheduler that no longer remembers this placement.
        await Enqueue();
    }
}
