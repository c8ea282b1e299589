using Granary.Folders;
using System.Threading.Channels;
using Granary.Agents.Runtime;
using Orleans.Placement;
using Granary.SiloPlacement;
using Granary.Resources;
using Granary.Scheduling;
using Granary.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Agents;

/// <summary>
/// One node, pinned to the agent silo that hosts it. Owns the node's truth (a NodeState): confirms or refuses
/// every placement, drives each session's container in the background, and reports to its scheduler.
/// Call graph: sessions await this grain (Start, Stop, GetLogs), so this grain never awaits a session inside a
/// turn; reports to sessions leave through an outbox that a background pump delivers. Awaiting the scheduler
/// and GPU device grains is safe: they never call back.
/// </summary>
[Immovable, AgentNodePlacement]
public sealed class AgentGrain(
    [PersistentState("agent", GranaryStorage.Name)] IPersistentState<AgentState> state,
    IContainerRuntime runtime,
    IOptions<AgentOptions> options,
    IFolderStorage folders,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private readonly Dictionary<string, ContainerRun> _runs = [];
    private readonly Channel<(string SessionId, RuntimeReport Report)> _outbox =
        Channel.CreateUnbounded<(string, RuntimeReport)>(new UnboundedChannelOptions { SingleReader = true });
    private StateWriter _writer = null!;
    private Task _pump = Task.CompletedTask;
    private NodeState? _node;
    private long _version;
    private string[] _images = [];
    private IGrainTimer? _heartbeat;
    private IGrainTimer? _pushTimer;
    private bool _pushRequested;

    private string Id => this.GetPrimaryKeyString();
    private AgentState S => state.State;
    private AgentOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _writer = new StateWriter(state.WriteStateAsync);
        // Versions must grow across activations too, or the scheduler would drop this activation's snapshots.
        _version = time.GetUtcNow().UtcTicks;
        _pump = DeliverReports();
        if (S.Registration is { } registration)
        {
            _node = new NodeState(Id, registration.Capacity, S.Sessions.Values.Select(s => s.Placement.ToAllocation()));
            StartTimers();
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Containers outlive this activation; the next one finds them again by label.
        foreach (var run in _runs.Values)
        {
            run.Cancel();
        }
        await Task.WhenAll(_runs.Values.Select(r => r.Task)).WaitAsync(cancellationToken);
        _outbox.Writer.TryComplete();
        await _pump.WaitAsync(cancellationToken);
    }

    public async Task Register(AgentRegistration registration)
    {
        if (registration.AgentId != Id)
        {
            throw new ArgumentException($"Registration for '{registration.AgentId}' sent to agent '{Id}'.", nameof(registration));
        }
        S.Registration = registration;
        _node = new NodeState(Id, registration.Capacity, S.Sessions.Values.Select(s => s.Placement.ToAllocation()));
        _version++;
        await _writer.Write();
        await GrainFactory.GetGrain<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).Add(Id, registration.ResourceGroup);
        await UpdateDevices(registration.Capacity.Gpus.Select(g => g.Uuid));
        StartTimers();
        await RefreshImages();
        await PushSnapshot();
    }

    public async Task<StartDecision> Start(Placement placement, SessionSpec spec)
    {
        if (_node is null || S.Registration is null)
        {
            return new StartDecision(false, $"agent {Id} is not registered");
        }
        if (placement.AgentId != Id)
        {
            return new StartDecision(false, $"placement is for agent {placement.AgentId}, not {Id}");
        }
        if (S.Sessions.ContainsKey(placement.SessionId))
        {
            return new StartDecision(true);
        }
        if (!_node.TryApply(placement, out var reason))
        {
            // The scheduler's view was wrong: a fresh snapshot (new version) corrects it.
            _version++;
            RequestPush();
            return new StartDecision(false, reason ?? "does not fit");
        }

        var session = new AgentSession
        {
            Placement = placement,
            Spec = spec,
            Phase = ContainerPhase.Reserved,
            PhaseSince = time.GetUtcNow(),
        };
        S.Sessions[placement.SessionId] = session;
        _version++;
        await _writer.Write();
        RequestPush();
        await UpdateDevices(placement.Gpus.Select(g => g.Uuid));
        Run(placement.SessionId, stop => Drive(placement.SessionId, session, stop));
        return new StartDecision(true);
    }

    public async Task Stop(string sessionId, bool force)
    {
        if (_runs.Remove(sessionId, out var run))
        {
            run.Cancel();
            await run.Task;
        }
        try
        {
            await RemoveContainers(sessionId, force ? TimeSpan.Zero : Options.StopGrace);
        }
        catch (Exception exception) when (force)
        {
            // The allocation is freed regardless; a container left behind is removed by the next reconciliation.
            logger.LogError(exception, "Agent {Agent}: removing the container of {Session} failed", Id, sessionId);
        }
        await Free(sessionId);
    }

    public Task<AgentSnapshot> GetSnapshot() => Task.FromResult(Snapshot());

    public async Task<string> GetLogs(string sessionId, int tailLines)
    {
        var containerId = S.Sessions.GetValueOrDefault(sessionId)?.ContainerId
            ?? (await runtime.List(SessionLabels(sessionId), CancellationToken.None)).FirstOrDefault()?.Id;
        return containerId is null ? "" : await runtime.Logs(containerId, tailLines, CancellationToken.None);
    }

    /// <summary>Brings a session's container from reserved to running, then watches it until it exits.</summary>
    private async Task Drive(string sessionId, AgentSession session, CancellationToken stop)
    {
        using var stuck = new CancellationTokenSource(Options.StuckTimeout, time);
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(stop, stuck.Token);
        string containerId;
        try
        {
            await SetPhase(session, ContainerPhase.Preparing);
            Report(sessionId, new RuntimeReport(SessionStatus.Preparing));

            var image = await runtime.FindImage(session.Spec.Image, starting.Token);
            if (image is null)
            {
                await SetPhase(session, ContainerPhase.Pulling);
                Report(sessionId, new RuntimeReport(SessionStatus.Pulling, $"image {session.Spec.Image} is not on node {Id}"));
                // No registry to pull from: look once more, in case an operator loaded it meanwhile.
                image = await runtime.FindImage(session.Spec.Image, starting.Token);
                if (image is null)
                {
                    await Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"image {session.Spec.Image} not present on node {Id}"));
                    return;
                }
            }

            await SetPhase(session, ContainerPhase.Creating);
            var services = ImageService.Of(image);
            containerId = await runtime.Create(ContainerSpecFor(sessionId, session, services), starting.Token);
            session.ContainerId = containerId;
            await _writer.Write();
            await runtime.Start(containerId, starting.Token);
            var info = await runtime.Inspect(containerId, starting.Token)
                ?? throw new InvalidOperationException($"container {containerId} vanished right after it started");

            await SetPhase(session, ContainerPhase.Running);
            Report(sessionId, new RuntimeReport(SessionStatus.Running, null, null, containerId, AppsOf(services, info)));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return; // Stop (or deactivation) owns what follows.
        }
        catch (OperationCanceledException) when (stuck.IsCancellationRequested)
        {
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error,
                $"stuck in {session.Phase} for longer than {Options.StuckTimeout}"));
            return;
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: starting {Session} failed in {Phase}", Id, sessionId, session.Phase);
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"{session.Phase} failed: {exception.Message}"));
            return;
        }

        await Watch(sessionId, session, containerId, stop);
    }

    private async Task Watch(string sessionId, AgentSession session, string containerId, CancellationToken stop)
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
            logger.LogWarning(exception, "Agent {Agent}: lost track of the container of {Session}", Id, sessionId);
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"lost track of the container: {exception.Message}"));
            return;
        }

        var reason = oomKilled
            ? $"container killed for exceeding its memory limit (exit code {exitCode})"
            : $"container exited with code {exitCode}";
        var status = session.Spec.Type == SessionType.Batch ? SessionStatus.Terminated : SessionStatus.Error;
        await Finish(sessionId, new RuntimeReport(status, reason, exitCode, containerId));
    }

    /// <summary>The session's container ended or never started: remove it, free the allocation, then tell the session.</summary>
    private async Task Finish(string sessionId, RuntimeReport report)
    {
        try
        {
            await RemoveContainers(sessionId, TimeSpan.Zero);
        }
        catch (Exception exception)
        {
            // An exited container holds no resources; the next reconciliation removes what is left.
            logger.LogError(exception, "Agent {Agent}: removing the container of {Session} failed", Id, sessionId);
        }
        await Free(sessionId);
        Report(sessionId, report);
    }

    private async Task Free(string sessionId)
    {
        if (!S.Sessions.Remove(sessionId, out var session))
        {
            return;
        }
        _node?.Release(sessionId);
        _version++;
        await _writer.Write();
        RequestPush();
        await UpdateDevices(session.Placement.Gpus.Select(g => g.Uuid));
    }

    private async Task RemoveContainers(string sessionId, TimeSpan grace)
    {
        foreach (var container in await runtime.List(SessionLabels(sessionId), CancellationToken.None))
        {
            await runtime.Stop(container.Id, grace, CancellationToken.None);
            await runtime.Remove(container.Id, CancellationToken.None);
        }
    }

    private async Task SetPhase(AgentSession session, ContainerPhase phase)
    {
        session.Phase = phase;
        session.PhaseSince = time.GetUtcNow();
        await _writer.Write();
    }

    private ContainerSpec ContainerSpecFor(string sessionId, AgentSession session, IReadOnlyList<ImageService> services)
    {
        var spec = session.Spec;
        var placement = session.Placement;
        var env = new Dictionary<string, string>(spec.Env) { ["GRANARY_SESSION_ID"] = sessionId };
        return new ContainerSpec(
            Name: $"granary-{sessionId}",
            Image: spec.Image,
            Command: spec.Command,
            Env: env,
            Labels: new Dictionary<string, string>
            {
                [ContainerLabels.Session] = sessionId,
                [ContainerLabels.Owner] = spec.Owner,
                [ContainerLabels.Node] = Id,
            },
            CpuMilli: placement.CpuMilli,
            MemoryBytes: placement.MemoryBytes,
            ShmBytes: Math.Min(Options.ShmBytes, placement.MemoryBytes),
            PublishedPorts: services.Select(s => s.Port).ToArray(),
            Mounts: spec.Mounts.Select(m => new BindMount(folders.Ensure(spec.Owner, m.Folder), m.Path, m.ReadOnly)).ToArray(),
            GpuUuids: placement.Gpus.Select(g => g.Uuid).ToArray());
    }

    private AppEndpoint[] AppsOf(IReadOnlyList<ImageService> services, ContainerInfo info) =>
        services
            .Where(s => info.Ports.ContainsKey(s.Port))
            .Select(s => new AppEndpoint(s.Name, s.Protocol, Options.Host, info.Ports[s.Port]))
            .ToArray();

    private Dictionary<string, string> SessionLabels(string sessionId) => new()
    {
        [ContainerLabels.Session] = sessionId,
        [ContainerLabels.Node] = Id,
    };

    private void Report(string sessionId, RuntimeReport report) =>
        _outbox.Writer.TryWrite((sessionId, report with { AgentId = Id }));

    /// <summary>Delivers reports to sessions in order, outside this grain's turns (see the class comment).</summary>
    private async Task DeliverReports()
    {
        await Task.Yield();
        RequestContext.Clear();
        await foreach (var (sessionId, report) in _outbox.Reader.ReadAllAsync())
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await GrainFactory.GetGrain<ISessionGrain>(sessionId).Report(report);
                    break;
                }
                catch (Exception exception) when (attempt < 5)
                {
                    logger.LogWarning(exception, "Agent {Agent}: report {Status} to {Session} failed (attempt {Attempt})", Id, report.Status, sessionId, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
                }
                catch (Exception exception)
                {
                    logger.LogError(exception, "Agent {Agent}: giving up on reporting {Status} to {Session}", Id, report.Status, sessionId);
                    break;
                }
            }
        }
    }

    /// <summary>Runs a container driver in this activation's context, outside any turn.</summary>
    private void Run(string sessionId, Func<CancellationToken, Task> drive)
    {
        var run = new ContainerRun();
        _runs[sessionId] = run;
        run.Task = Detached();

        async Task Detached()
        {
            await Task.Yield();
            RequestContext.Clear();
            try
            {
                await drive(run.Token);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Agent {Agent}: the driver of {Session} failed", Id, sessionId);
            }
            finally
            {
                if (_runs.TryGetValue(sessionId, out var current) && ReferenceEquals(current, run))
                {
                    _runs.Remove(sessionId);
                }
            }
        }
    }

    private void StartTimers()
    {
        _heartbeat ??= this.RegisterGrainTimer(Heartbeat,
            new GrainTimerCreationOptions(Options.HeartbeatInterval, Options.HeartbeatInterval) { KeepAlive = true });
        _pushTimer ??= this.RegisterGrainTimer(PushRequested,
            new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
    }

    private void RequestPush()
    {
        if (_pushRequested || _pushTimer is null)
        {
            return;
        }
        _pushRequested = true;
        _pushTimer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private Task PushRequested(CancellationToken cancellationToken)
    {
        _pushRequested = false;
        return PushSnapshot();
    }

    private async Task Heartbeat(CancellationToken cancellationToken)
    {
        await RefreshImages();
        await PushSnapshot();
    }

    private async Task RefreshImages()
    {
        try
        {
            var images = (await runtime.ListImages(CancellationToken.None)).Select(i => i.Reference).Order(StringComparer.Ordinal).ToArray();
            if (!images.SequenceEqual(_images))
            {
                _images = images;
                _version++;
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: listing images failed; keeping the last known list", Id);
        }
    }

    private async Task PushSnapshot()
    {
        if (S.Registration is null)
        {
            return;
        }
        try
        {
            await GrainFactory.GetGrain<ISchedulerGrain>(S.Registration.ResourceGroup).ReportAgent(Snapshot());
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: sending the snapshot failed; the next heartbeat retries", Id);
        }
    }

    private AgentSnapshot Snapshot()
    {
        var registration = S.Registration ?? throw new InvalidOperationException($"Agent {Id} is not registered.");
        return new AgentSnapshot(
            Id,
            registration.ResourceGroup,
            registration.Capacity,
            _node!.Allocations.ToArray(),
            _images,
            runtime.Name,
            _version,
            time.GetUtcNow());
    }

    private async Task UpdateDevices(IEnumerable<string> uuids)
    {
        if (S.Registration is null || _node is null)
        {
            return;
        }
        var wanted = uuids.ToHashSet();
        foreach (var device in S.Registration.Capacity.Gpus.Where(g => wanted.Contains(g.Uuid)))
        {
            var shares = _node.Allocations
                .SelectMany(a => a.Gpus.Where(g => g.Uuid == device.Uuid).Select(g => (a.SessionId, g.Milli)))
                .GroupBy(s => s.SessionId)
                .ToDictionary(g => g.Key, g => g.Sum(s => s.Milli));
            await GrainFactory.GetGrain<IGpuDeviceGrain>(device.Uuid).Update(new GpuDeviceView(device, Id, shares, 0, 0));
        }
    }

    private sealed class ContainerRun
    {
        private readonly CancellationTokenSource _stop = new();

        public CancellationToken Token => _stop.Token;
        public Task Task { get; set; } = Task.CompletedTask;

        public void Cancel() => _stop.Cancel();
    }
}
