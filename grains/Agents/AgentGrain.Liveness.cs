using Granary.Sessions;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>
/// The node's liveness heartbeat to the managers (INodeLivenessGrain), and what the node does when it learns it had
/// been marked lost: until every session it holds is checked against its session grain (and what ended meanwhile is
/// removed) it reports itself unschedulable, so no GPU share is given twice and no session runs twice. The beat
/// interleaves: the node's starts and stops do not wait while a busy manager answers. Each answer sets the interval
/// until the next beat (longer in a big cluster).
/// </summary>
public sealed partial class AgentGrain
{
    private static readonly TimeSpan VerifyPatience = TimeSpan.FromSeconds(10);
    private IGrainTimer? _livenessTimer;
    private TimeSpan _livenessInterval;
    private Task? _verifying;
    private bool _verifyAgain;

    private void StartLivenessTimer()
    {
        if (_livenessTimer is null)
        {
            _livenessInterval = Options.LivenessInterval;
            _livenessTimer = this.RegisterGrainTimer(Beat,
                new GrainTimerCreationOptions(TimeSpan.Zero, _livenessInterval) { KeepAlive = true, Interleave = true });
        }
    }

    private async Task Beat(CancellationToken cancellationToken)
    {
        if (S.Registration is not { } registration)
        {
            return;
        }
        HeartbeatAnswer answer;
        try
        {
            answer = await GrainFactory.Ref<INodeLivenessGrain>(INodeLivenessGrain.Key)
                .Heartbeat(Id, registration.ResourceGroup, [.. S.Sessions.Keys]);
        }
        catch (Exception exception)
        {
            logger.LogWarning("Agent {Agent}: liveness heartbeat failed ({Error}); the next one retries", Id, exception.Message);
            return;
        }
        if (answer.Interval > TimeSpan.Zero && answer.Interval != _livenessInterval)
        {
            _livenessInterval = answer.Interval;
            _livenessTimer?.Change(_livenessInterval, _livenessInterval);
        }
        if ((answer.Verify || _verifyAgain) && _verifying is null)
        {
            _verifyAgain = false;
            _telemetry.Schedulable = false;
            _verifying = VerifySessions();
            _telemetry.Changed();
            await _telemetry.PushSnapshot();
        }
    }

    /// <summary>Outside any turn (it calls sessions, which may be calling this grain): each session this node holds
    /// is asked whether it still wants its container here; the others are stopped through this grain's own Stop.</summary>
    private async Task VerifySessions()
    {
        await Task.Yield();
        RequestContext.Clear();
        try
        {
            foreach (var sessionId in S.Sessions.Keys.ToArray())
            {
                // Bounded: right after a partition heals a call can hang past Orleans' own response timeout (seen in
                // CI: the node stayed unschedulable for minutes); a timeout retries the whole check at the next beat.
                var view = await GrainFactory.Ref<ISessionGrain>(sessionId).Get().WaitAsync(VerifyPatience);
                if (view is null || SessionTransitions.IsFinal(view.Status) || view.AgentId != Id)
                {
                    logger.LogWarning("Agent {Agent}: session {Session} ended ({Status}: {Reason}) while this node was lost; removing its container",
                        Id, sessionId, view?.Status, view?.StatusReason);
                    await this.AsReference<IAgentGrain>().Stop(sessionId, force: true);
                }
            }
            logger.LogInformation("Agent {Agent}: back after being lost; {Count} session(s) continue, taking new work again", Id, S.Sessions.Count);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Agent {Agent}: checking its sessions after being lost failed; retrying at the next heartbeat", Id);
            _verifyAgain = true;
        }
        finally
        {
            _verifying = null;
            _telemetry.Schedulable = true;
            _telemetry.Changed();
            _telemetry.RequestPush();
        }
    }
}
