using Granary.Agents.Launch;
using Granary.Agents.Readiness;
using Granary.Agents.Runtime;
using Granary.Folders;
using Granary.Sessions;
using Granary.Telemetry;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>What a session driver needs from its agent grain: the session's phase, its launch spec, and how to end
/// it. Drivers run on the grain's activation (started from its turns, never leaving its scheduler), so these calls
/// touch the grain's state between its turns without locks, as the grain's own methods do.</summary>
internal interface ISessionDriverHost
{
    /// <summary>A step on the way to RUNNING (with the container's id once there is one); not stored by itself.</summary>
    void EnterPhase(string sessionId, ContainerPhase phase, string? containerId = null);

    ContainerPhase PhaseOf(string sessionId, AgentSession started);

    ContainerSpec SpecFor(string sessionId, AgentSession session, IReadOnlyList<ImageApp> apps);

    /// <summary>Tells the session (through the outbox, never awaiting it).</summary>
    void Report(string sessionId, RuntimeReport report);

    /// <summary>The container ended or never started: remove it, free the allocation, then report.</summary>
    Task Finish(string sessionId, RuntimeReport report);
}

/// <summary>
/// Runs one session's container: from reserved through preparing, pulling (the image must be on the node) and
/// creating to running, then watches it until it exits. Stop (or the grain's deactivation) cancels it; a start
/// stuck for longer than StuckTimeout ends in ERROR. Call graph: it calls the container runtime and its host
/// (the agent grain, in-process), never a grain, so it adds no edge to the grain call graph.
/// </summary>
internal sealed class SessionDriver(
    string agentId,
    string sessionId,
    AgentSession session,
    ISessionDriverHost host,
    IContainerRuntime runtime,
    IAppProbe appProbe,
    AgentOptions options,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>Brings the session's container from reserved to running, then watches it until it exits.</summary>
    public async Task Drive(CancellationToken stop)
    {
        using var stuck = new CancellationTokenSource(options.StuckTimeout, time);
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(stop, stuck.Token);
        string containerId;
        AppEndpoint[] endpoints;
        try
        {
            host.EnterPhase(sessionId, ContainerPhase.Preparing);
            host.Report(sessionId, new RuntimeReport(SessionStatus.Preparing));

            var image = await runtime.FindImage(session.Spec.Image, starting.Token);
            if (image is null)
            {
                host.EnterPhase(sessionId, ContainerPhase.Pulling);
                host.Report(sessionId, new RuntimeReport(SessionStatus.Pulling, $"image {session.Spec.Image} is not on node {agentId}"));
                // No registry to pull from: look once more, in case an operator loaded it meanwhile.
                image = await runtime.FindImage(session.Spec.Image, starting.Token);
                if (image is null)
                {
                    await host.Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"image {session.Spec.Image} not present on node {agentId}"));
                    return;
                }
            }

            host.EnterPhase(sessionId, ContainerPhase.Creating);
            var apps = ImageApps.Parse(image.Labels);
            var creating = System.Diagnostics.Stopwatch.GetTimestamp();
            containerId = await runtime.Create(host.SpecFor(sessionId, session, apps), starting.Token);
            await runtime.Start(containerId, starting.Token);
            GranaryMetrics.ContainerStartDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(creating).TotalSeconds,
                new KeyValuePair<string, object?>("runtime", runtime.Name));
            var info = await runtime.Inspect(containerId, starting.Token)
                ?? throw new InvalidOperationException($"container {containerId} vanished right after it started");

            // The container id and RUNNING are not stored here: after a restart, reconciliation finds the container
            // by its labels and stores them then (and the next write of this node's state carries them anyway).
            host.EnterPhase(sessionId, ContainerPhase.Running, containerId);
            logger.LogInformation("Agent {Agent}: {Session} runs in container {Container}", agentId, sessionId, containerId);
            endpoints = AppsOf(apps, info, options.Host);
            host.Report(sessionId, new RuntimeReport(SessionStatus.Running, null, null, containerId, endpoints));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return; // Stop (or deactivation) owns what follows.
        }
        catch (OperationCanceledException) when (stuck.IsCancellationRequested)
        {
            await host.Finish(sessionId, new RuntimeReport(SessionStatus.Error,
                $"stuck in {host.PhaseOf(sessionId, session)} for longer than {options.StuckTimeout}"));
            return;
        }
        catch (Exception exception)
        {
            var phase = host.PhaseOf(sessionId, session);
            logger.LogWarning(exception, "Agent {Agent}: starting {Session} failed in {Phase}", agentId, sessionId, phase);
            // In words only: the runtime's own text (Docker's) stays in the log, it may name host paths and more.
            var cause = exception is FoldersUnavailableException
                ? "the node cannot mount storage folders (its folder root is not the cluster's shared storage)"
                : "the container runtime reported an error";
            await host.Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"{phase} failed: {cause} (details in agent {agentId}'s log)"));
            return;
        }

        // Each app's readiness follows RUNNING through the same outbox, so a session always hears RUNNING first.
        await Adopt(containerId, Task.FromResult<IReadOnlyList<AppEndpoint>>(endpoints), stop);
    }

    /// <summary>Watches the running container until it exits while probing its apps that are not ready yet: those
    /// of a container just started, or after a restart the ones its session still records as starting (known once
    /// the session answers; the watch does not wait for that).</summary>
    public async Task Adopt(string containerId, Task<IReadOnlyList<AppEndpoint>> starting, CancellationToken stop)
    {
        using var probing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var readiness = Probe(starting, probing.Token);
        await Watch(containerId, stop);
        await probing.CancelAsync(); // the container has exited: its apps will not answer
        await readiness;
    }

    private async Task Probe(Task<IReadOnlyList<AppEndpoint>> starting, CancellationToken stop)
    {
        try
        {
            // Not waiting past a stop: the apps' list may come from the session, which may itself be waiting for
            // this agent's Stop, which waits for this run.
            var apps = await starting.WaitAsync(stop);
            await new AppReadinessWatcher(appProbe, options, time)
                .Watch(sessionId, apps, app => host.Report(sessionId, new RuntimeReport(SessionStatus.Running, App: app)), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run ended first: no app of it to probe.
        }
    }

    /// <summary>Waits for the running container to exit, then ends the session with its exit report.</summary>
    public async Task Watch(string containerId, CancellationToken stop)
    {
        int exitCode;
        bool oomKilled;
        try
        {
            exitCode = await runtime.Wait(containerId, stop);
            oomKilled = (await runtime.Inspect(containerId, stop))?.OomKilled ?? false;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: lost track of the container of {Session}", agentId, sessionId);
            await host.Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"lost track of the container: the container runtime stopped answering for it (details in agent {agentId}'s log)"));
            return;
        }

        logger.LogInformation("Agent {Agent}: the container of {Session} exited with {ExitCode}{Oom}", agentId, sessionId, exitCode, oomKilled ? " (out of memory)" : "");
        await host.Finish(sessionId, ExitReport.For(session.Spec.Type, containerId, exitCode, oomKilled));
    }

    /// <summary>The apps reachable from outside: those with a container port the node published.</summary>
    public static AppEndpoint[] AppsOf(IReadOnlyList<ImageApp> apps, ContainerInfo info, string host) =>
        apps
            .Where(a => a.Port > 0 && info.Ports.ContainsKey(a.Port))
            .Select(a => new AppEndpoint(a.Name, a.Protocol, host, info.Ports[a.Port]))
            .ToArray();
}
