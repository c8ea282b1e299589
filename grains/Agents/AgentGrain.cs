using Granary.Agents.Gpu;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Folders;
using Granary.Scheduling;
using Granary.Sessions;
using Granary.SiloPlacement;
using Granary.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Granary.Agents;

/// <summary>
/// One node, pinned to the agent silo that hosts it. Owns the node's truth (a NodeState and the persisted
/// AgentState): admits or refuses every placement, and reconciles with the container runtime after a restart.
/// The rest is delegated, each to a plain class that runs on this activation: a SessionDriver per session runs
/// its container, AgentTerminals multiplexes the web terminals, AgentTelemetry sends snapshots and images, AgentGpus
/// samples the GPUs and answers their live views, and the ReportOutbox carries reports to sessions.
/// Call graph: sessions await this grain (Start, Stop, GetLogs), so this grain never awaits a session inside a
/// turn; reports to sessions leave through the outbox, whose pump delivers them outside any turn. Awaiting the
/// scheduler, directory and catalog grains is safe: they never call an agent back. Reconciliation
/// reads a session (Get) from a background task, not a turn, so it cannot deadlock with that session's Stop.
/// </summary>
[Immovable, AgentNodePlacement]
public sealed partial class AgentGrain(
    [PersistentState("agent", GranaryStorage.Name)] IPersistentState<AgentState> state,
    IContainerRuntime runtime,
    IAppProbe appProbe,
    IOptions<AgentOptions> options,
    IFolderStorage folders,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain, ISessionDriverHost
{
    private StateWriter _writer = null!;
    private SessionRuns _runs = null!;
    private AgentTerminals _terminals = null!;
    private AgentTelemetry _telemetry = null!;
    private AgentGpus _gpus = null!;
    private ReportOutbox _outbox = null!;
    private Task? _reconciling;
    private NodeState? _node;
    private IGrainTimer? _heartbeat;
    private IGrainTimer? _pushTimer;
    private IDisposable? _gauges;
    private IGrainTimer? _gpuSampler;

    private string? _id;
    private string Id => _id ??= this.GetPrimaryKeyString(); // decoded anew on every call otherwise
    private AgentState S => state.State;
    private AgentOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _writer = new StateWriter(state.WriteStateAsync);
        _runs = new SessionRuns(Id, logger);
        _terminals = new AgentTerminals(runtime, Id);
        _telemetry = new AgentTelemetry(Id, () => S.Registration, () => _node, runtime, folders.Unavailable, GrainFactory, Options, time, logger);
        // A GPU source with live metrics is registered only where GPUs are discovered (NVML, mock); configured GPUs have none.
        _gpus = new AgentGpus(Id, () => S.Registration, () => _node, () => S.Sessions, ServiceProvider.GetService<IGpuDiscovery>(), time);
        _outbox = new ReportOutbox(Id, (session, reports) => GrainFactory.Ref<ISessionGrain>(session).Report(reports), time, logger);
        _outbox.Start();
        // Scrapes run off the grain's thread, where Orleans forbids reading state.State: they read this object.
        var node = S;
        var gpus = _gpus;
        _gauges = NodeGauges.Track(Id, () => node.Registration is { } r ? new NodeReading(Id, r, node.Sessions, gpus.Samples) : null);
        if (S.Registration is { } registration)
        {
            _node = new NodeState(Id, registration.Capacity, S.Sessions.Values.Select(s => s.Placement.ToAllocation()));
            StartTimers();
            _reconciling = Reconcile();
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _gauges?.Dispose();
        // Containers outlive this activation; the next one finds them again by label.
        await Task.WhenAll(_runs.CancelAll(), _reconciling ?? Task.CompletedTask).WaitAsync(cancellationToken);
        await _outbox.Drain().WaitAsync(cancellationToken);
    }

    public async Task Register(AgentRegistration registration)
    {
        if (registration.AgentId != Id)
        {
            throw new ArgumentException($"Registration for '{registration.AgentId}' sent to agent '{Id}'.", nameof(registration));
        }
        S.Registration = registration;
        _node = new NodeState(Id, registration.Capacity, S.Sessions.Values.Select(s => s.Placement.ToAllocation()));
        _telemetry.Changed();
        await _writer.Write();
        await GrainFactory.Ref<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).Add(Id, registration.ResourceGroup);
        _gpus.Sample();
        StartTimers();
        // A node registering with no state of its own (the first start, or a restart with memory storage) holds no
        // sessions: every container labelled for it is left over from before, and reconciling removes them.
        _reconciling ??= Reconcile();
        await _telemetry.RefreshImages();
        await _telemetry.PushSnapshot();
    }

    public async Task<StartDecision> Start(Placement placement, SessionSpec spec, SshKey? sshKey, string? appSecret = null)
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
            // Asked again: the session's new activation may have lost what this node reported (its manager died).
            _outbox.Repeat(placement.SessionId, spec.Owner);
            return new StartDecision(true);
        }
        var reason = spec.Mounts.Length > 0 && !_telemetry.CanMountFolders() ? $"node {Id} cannot mount storage folders now (see its log)" : null;
        if (reason is not null || !_node.TryApply(placement, out reason))
        {
            // The scheduler's view was wrong (the folders' share went away, or the placement does not fit): a fresh
            // snapshot (new version) corrects it.
            _telemetry.Changed();
            _telemetry.RequestPush();
            return new StartDecision(false, reason ?? "does not fit");
        }

        var session = new AgentSession(placement, spec, ContainerId: null, ContainerPhase.Reserved, time.GetUtcNow(), sshKey, appSecret);
        S.Sessions = S.Sessions.SetItem(placement.SessionId, session);
        _telemetry.Changed();
        try
        {
            await _writer.Write();
        }
        catch
        {
            // Not stored, so not accepted: the reservation goes, or the node would leak it.
            if (S.Sessions.TryGetValue(placement.SessionId, out var reserved) && ReferenceEquals(reserved, session))
            {
                S.Sessions = S.Sessions.Remove(placement.SessionId);
                _node.Release(placement.SessionId);
                _telemetry.Changed();
                _telemetry.RequestPush();
            }
            throw;
        }
        _telemetry.RequestPush();
        if (S.Sessions.TryGetValue(placement.SessionId, out var current) && ReferenceEquals(current, session) && !_runs.IsRunning(placement.SessionId))
        {
            _runs.Start(placement.SessionId, spec.Owner, Driver(placement.SessionId, session).Drive);
        }
        return new StartDecision(true);
    }

    public async Task Stop(string sessionId, bool force)
    {
        using var scope = About(sessionId, OwnerOf(sessionId));
        logger.LogInformation("Agent {Agent}: stopping {Session}{Force}", Id, sessionId, force ? " (forced)" : "");
        await _terminals.CloseAll(sessionId);
        await _runs.Stop(sessionId);
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

    public Task<AgentSnapshot> GetSnapshot() => Task.FromResult(_telemetry.Snapshot());

    public Task<GpuDeviceView[]> GetGpus() => Task.FromResult(_gpus.Views());

    public async Task<string> GetLogs(string sessionId, int tailLines)
    {
        var containerId = S.Sessions.GetValueOrDefault(sessionId)?.ContainerId
            ?? (await runtime.List(SessionLabels(sessionId), CancellationToken.None)) switch { [var first, ..] => first.Id, _ => null };
        return containerId is null ? "" : await runtime.Logs(containerId, tailLines, CancellationToken.None);
    }

    public Task<string> OpenTerminal(string sessionId, int columns, int rows)
    {
        if (S.Sessions.GetValueOrDefault(sessionId) is not { Phase: ContainerPhase.Running, ContainerId: { } containerId })
        {
            throw new InvalidOperationException($"Session {sessionId} has no running container on agent {Id}.");
        }
        return _terminals.Open(sessionId, containerId, columns, rows);
    }

    public IAsyncEnumerable<byte[]> ReadTerminal(string terminalId) => _terminals.Read(terminalId);

    public Task WriteTerminal(string terminalId, byte[] input) => _terminals.Write(terminalId, input);

    public Task ResizeTerminal(string terminalId, int columns, int rows) => _terminals.Resize(terminalId, columns, rows);

    public Task CloseTerminal(string terminalId) => _terminals.Close(terminalId);

    private SessionDriver Driver(string sessionId, AgentSession session) =>
        new(Id, sessionId, session, this, runtime, appProbe, Options, time, logger);

    /// <summary>The session's container ended or never started: remove it, free the allocation, then tell the session.</summary>
    public async Task Finish(string sessionId, RuntimeReport report)
    {
        var owner = OwnerOf(sessionId); // for the report, which follows freeing the session
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
        _outbox.Post(sessionId, owner, report);
    }

    private async Task Free(string sessionId)
    {
        await _terminals.CloseAll(sessionId);
        if (!S.Sessions.TryGetValue(sessionId, out var session))
        {
            return;
        }
        S.Sessions = S.Sessions.Remove(sessionId);
        _outbox.Forget(sessionId);
        _node?.Release(sessionId);
        _telemetry.Changed();
        await _writer.Write();
        _telemetry.RequestPush();
    }

    private async Task RemoveContainers(string sessionId, TimeSpan grace)
    {
        foreach (var container in await runtime.List(SessionLabels(sessionId), CancellationToken.None))
        {
            await runtime.Stop(container.Id, grace, CancellationToken.None);
            await runtime.Remove(container.Id, CancellationToken.None);
        }
    }

    /// <summary>A step on the way to RUNNING (with the container's id once there is one), not stored by itself:
    /// after a restart, reconciliation goes by the containers it finds (and the stuck timeout starts afresh), so
    /// storing each step would only cost writes. A session freed meanwhile stays gone.</summary>
    public void EnterPhase(string sessionId, ContainerPhase phase, string? containerId = null)
    {
        if (S.Sessions.TryGetValue(sessionId, out var current))
        {
            S.Sessions = S.Sessions.SetItem(sessionId,
                current with { Phase = phase, PhaseSince = time.GetUtcNow(), ContainerId = containerId ?? current.ContainerId });
        }
    }

    public ContainerPhase PhaseOf(string sessionId, AgentSession started) =>
        S.Sessions.GetValueOrDefault(sessionId)?.Phase ?? started.Phase;

    /// <summary>The session's launch spec (LaunchSpec.Build, pure) once its folders exist on this node.</summary>
    public ContainerSpec SpecFor(string sessionId, AgentSession session, IReadOnlyList<ImageApp> apps)
    {
        var spec = session.Spec;
        var mounts = spec.Mounts.Select(m => new BindMount(folders.Ensure(spec.Owner, m.Folder), m.Path, m.ReadOnly)).ToArray();
        return LaunchSpec.Build(new LaunchInput(sessionId, Id, spec, session.Placement, session.SshKey,
            S.Registration!.Capacity, apps, mounts, Options.ShmBytes, session.AppSecret, Options.Enforcement));
    }

    public void Report(string sessionId, RuntimeReport report) => _outbox.Post(sessionId, OwnerOf(sessionId), report);

    private string? OwnerOf(string sessionId) => S.Sessions.GetValueOrDefault(sessionId)?.Spec.Owner;

    private IDisposable? About(string sessionId, string? owner) => logger.BeginSessionScope(sessionId, Id, owner);

    private Dictionary<string, string> SessionLabels(string sessionId) => new()
    {
        [ContainerLabels.Session] = sessionId,
        [ContainerLabels.Node] = Id,
    };

    private void StartTimers()
    {
        _heartbeat ??= this.RegisterGrainTimer(_telemetry.Heartbeat,
            new GrainTimerCreationOptions(Options.HeartbeatInterval, Options.HeartbeatInterval) { KeepAlive = true });
        if (_pushTimer is null)
        {
            _pushTimer = this.RegisterGrainTimer(_telemetry.PushRequested,
                new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
            _telemetry.Attach(_pushTimer);
        }
        if (_gpus.HasLiveMetrics)
        {
            _gpuSampler ??= this.RegisterGrainTimer(() => { _gpus.Sample(); return Task.CompletedTask; },
                new GrainTimerCreationOptions(Options.GpuSampleInterval, Options.GpuSampleInterval));
        }
        StartLivenessTimer();
    }
}
