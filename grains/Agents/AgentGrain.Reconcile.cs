using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Sessions;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>Reconciliation after a restart: this activation's truth made to match the container runtime's.</summary>
public sealed partial class AgentGrain
{
    /// <summary>
    /// Makes this activation's truth match the runtime's after a restart, in the background: containers of
    /// sessions this node holds and still wants are adopted (watched again), other labelled containers are
    /// removed with what the runtime made beside them (session networks a crash left), and sessions whose container
    /// vanished (or exited meanwhile) end. Only the sessions held at activation are reconciled: one admitted meanwhile
    /// (a Start that activated this grain) is this activation's own.
    /// </summary>
    private async Task Reconcile()
    {
        var heldAtActivation = S.Sessions.Keys.ToHashSet();
        await Task.Yield();
        RequestContext.Clear();
        try
        {
            var containers = await runtime.List(new Dictionary<string, string> { [ContainerLabels.Node] = Id }, CancellationToken.None);
            foreach (var container in containers.Where(c => !S.Sessions.ContainsKey(c.Labels.GetValueOrDefault(ContainerLabels.Session) ?? "")))
            {
                using var scope = About(container.Labels.GetValueOrDefault(ContainerLabels.Session) ?? "", container.Labels.GetValueOrDefault(ContainerLabels.Owner));
                logger.LogWarning("Agent {Agent}: removing container {Container}, whose session {Session} this node does not hold",
                    Id, container.Id, container.Labels.GetValueOrDefault(ContainerLabels.Session));
                await runtime.Remove(container.Id, CancellationToken.None);
            }
            foreach (var (sessionId, session) in S.Sessions.Where(s => heldAtActivation.Contains(s.Key)).ToArray())
            {
                if (_runs.IsRunning(sessionId))
                {
                    continue; // started by this activation
                }
                var mine = containers.Where(c => c.Labels.GetValueOrDefault(ContainerLabels.Session) == sessionId).ToArray();
                await Reconcile(sessionId, session, mine.FirstOrDefault(c => c.State == ContainerState.Running) ?? mine.FirstOrDefault());
            }
            // After reconciling: a session whose container vanished (the agent died while stopping it) is freed by
            // now, and its network goes too.
            var leftovers = await runtime.RemoveLeftovers(
                new Dictionary<string, string> { [ContainerLabels.Node] = Id }, S.Sessions.Keys.ToHashSet(), CancellationToken.None);
            if (leftovers > 0)
            {
                logger.LogWarning("Agent {Agent}: removed {Count} session network(s) no container used", Id, leftovers);
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Agent {Agent}: reconciling with the container runtime failed", Id);
        }
    }

    private async Task Reconcile(string sessionId, AgentSession session, ContainerInfo? container)
    {
        using var scope = About(sessionId, session.Spec.Owner);
        if (container is null || container.State is not (ContainerState.Running or ContainerState.Exited))
        {
            if (await StartAgain(sessionId, session, container))
            {
                return;
            }
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error,
                $"container vanished while agent {Id} was down (the session was {session.Phase})"));
            return;
        }
        if (container.State == ContainerState.Exited)
        {
            await Finish(sessionId, ExitReport.For(session.Spec.Type, container.Id, container.ExitCode ?? -1, container.OomKilled));
            return;
        }

        var image = await runtime.FindImage(session.Spec.Image, CancellationToken.None);
        var endpoints = SessionDriver.AppsOf(image is null ? [] : ImageApps.Parse(image.Labels), container, Options.Host);
        if (session.Phase != ContainerPhase.Running)
        {
            EnterPhase(sessionId, ContainerPhase.Running, container.Id);
            await _writer.Write();
            Report(sessionId, new RuntimeReport(SessionStatus.Running, null, null, container.Id, endpoints));
        }
        var driver = Driver(sessionId, session);
        var asked = GrainFactory.Ref<ISessionGrain>(sessionId).Get();
        // Watched from now on, whatever the session answers; its apps still starting are probed once it has.
        _runs.Start(sessionId, session.Spec.Owner, stop => driver.Adopt(container.Id, StillStarting(endpoints, asked), stop));

        var view = await asked;
        if (view is null || SessionTransitions.IsFinal(view.Status) || view.AgentId != Id)
        {
            logger.LogWarning("Agent {Agent}: session {Session} no longer wants its container here; stopping it", Id, sessionId);
            // A message to itself, handled as a turn like any other Stop.
            await this.AsReference<IAgentGrain>().Stop(sessionId, force: true);
        }
    }

    /// <summary>The node went down before the session's container ran (reserved, pulling, creating; the session has
    /// not heard RUNNING, so nothing of its user's is lost): its start is made again from scratch, a half-made
    /// container removed first, instead of failing the session. False when the session is past that (it ran, ended
    /// or moved): its container is then truly gone. The node's own phase cannot tell: RUNNING is stored lazily.</summary>
    private async Task<bool> StartAgain(string sessionId, AgentSession session, ContainerInfo? halfMade)
    {
        SessionView? view;
        try
        {
            view = await GrainFactory.Ref<ISessionGrain>(sessionId).Get();
        }
        catch (Exception exception)
        {
            // One session that cannot be asked must not stop the reconciliation of the others.
            logger.LogWarning(exception, "Agent {Agent}: could not ask session {Session} whether it had started; it ends as vanished", Id, sessionId);
            return false;
        }
        if (view is not { Status: SessionStatus.Scheduled or SessionStatus.Preparing or SessionStatus.Pulling } || view.AgentId != Id)
        {
            return false;
        }
        if (halfMade is not null)
        {
            await runtime.Remove(halfMade.Id, CancellationToken.None);
        }
        logger.LogWarning("Agent {Agent}: session {Session} had not started when this node went down ({Status}); starting it again",
            Id, sessionId, view.Status);
        _runs.Start(sessionId, session.Spec.Owner, Driver(sessionId, session).Drive);
        return true;
    }

    /// <summary>The apps to probe again after a restart: those the session still records as starting; all of them
    /// while it has not heard RUNNING (the report is on its way). None when the session could not be asked:
    /// Reconcile awaits the same answer and logs why.</summary>
    private static async Task<IReadOnlyList<AppEndpoint>> StillStarting(AppEndpoint[] endpoints, Task<SessionView?> asked)
    {
        await ((Task)asked).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        if (!asked.IsCompletedSuccessfully || await asked is not { } view)
        {
            return [];
        }
        return view.Status != SessionStatus.Running
            ? endpoints
            : [.. endpoints.Where(e => view.Apps.Any(a => a.Name == e.Name && a.State == AppState.Starting))];
    }
}
