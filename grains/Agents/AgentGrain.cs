using System.Threading.Channels;
using Granary.Agents.Gpu;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using Granary.Folders;
using Granary.Scheduling;
using Granary.Sessions;
using Granary.SiloPlacement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Granary.Agents;

/// <summary>
/// One node, pinned to the agent silo that hosts it. Owns the node's truth (a NodeState): confirms or refuses
/// every placement, drives each session's container in the background, and reports to its scheduler.
/// Call graph: sessions await this grain (Start, Stop, GetLogs), so this grain never awaits a session inside a
/// turn; reports to sessions leave through an outbox that a background pump delivers. Awaiting the scheduler
/// and GPU device grains is safe: they never call back.
/// </summary>
[Immovable, AgentNodePlacement]
public sealed partial class AgentGrain(
    [PersistentState("agent", GranaryStorage.Name)] IPersistentState<AgentState> state,
    IContainerRuntime runtime,
    IOptions<AgentOptions> options,
    IFolderStorage folders,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private static readonly string[] TerminalCommand = ["tmux", "new-session", "-A", "-s", "main"];
    private const string SessionUser = "work";
    private const int SessionUid = 1000;

    private readonly Dictionary<string, ContainerRun> _runs = [];
    private readonly Dictionary<string, TerminalHandle> _terminals = [];
    private readonly Dictionary<string, GpuMetrics> _gpuMetrics = [];
    private readonly Channel<(string SessionId, RuntimeReport Report)> _outbox =
        Channel.CreateUnbounded<(string, RuntimeReport)>(new UnboundedChannelOptions { SingleReader = true });
    private StateWriter _writer = null!;
    private Task _pump = Task.CompletedTask;
    private Task? _reconciling;
    private NodeState? _node;
    private long _version;
    private string[] _images = [];
    private IGrainTimer? _heartbeat;
    private IGrainTimer? _pushTimer;
    private bool _pushRequested;
    private readonly HashSet<string> _dirtyDevices = [];
    private IGpuDiscovery? _gpuDiscovery;

    private string Id => this.GetPrimaryKeyString();
    private AgentState S => state.State;
    private AgentOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _writer = new StateWriter(state.WriteStateAsync);
        // Registered only where GPUs are discovered with live metrics (NVML); configured GPUs have none.
        _gpuDiscovery = ServiceProvider.GetService<IGpuDiscovery>();
        // Versions must grow across activations too, or the scheduler would drop this activation's snapshots.
        _version = time.GetUtcNow().UtcTicks;
        _pump = DeliverReports();
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
        // Containers outlive this activation; the next one finds them again by label.
        foreach (var run in _runs.Values)
        {
            run.Cancel();
        }
        await Task.WhenAll(_runs.Values.Select(r => r.Task).Append(_reconciling ?? Task.CompletedTask)).WaitAsync(cancellationToken);
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
        await GrainFactory.Ref<IAgentDirectoryGrain>(IAgentDirectoryGrain.Key).Add(Id, registration.ResourceGroup);
        ReadGpuMetrics();
        await UpdateDevices(registration.Capacity.Gpus.Select(g => g.Uuid));
        StartTimers();
        // A node registering with no state of its own (the first start, or a restart with memory storage) holds no
        // sessions: every container labelled for it is left over from before, and reconciling removes them.
        _reconciling ??= Reconcile();
        await RefreshImages();
        await PushSnapshot();
    }

    public async Task<StartDecision> Start(Placement placement, SessionSpec spec, SshKey? sshKey)
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

        var session = new AgentSession(placement, spec, ContainerId: null, ContainerPhase.Reserved, time.GetUtcNow(), sshKey);
        S.Sessions = S.Sessions.SetItem(placement.SessionId, session);
        _version++;
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
                _version++;
                RequestPush();
            }
            throw;
        }
        MarkDevices(placement.Gpus.Select(g => g.Uuid));
        if (S.Sessions.TryGetValue(placement.SessionId, out var current) && ReferenceEquals(current, session) && !_runs.ContainsKey(placement.SessionId))
        {
            Run(placement.SessionId, stop => Drive(placement.SessionId, session, stop));
        }
        return new StartDecision(true);
    }

    public async Task Stop(string sessionId, bool force)
    {
        await CloseTerminals(sessionId);
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

    public async Task<string> OpenTerminal(string sessionId, int columns, int rows)
    {
        if (S.Sessions.GetValueOrDefault(sessionId) is not { Phase: ContainerPhase.Running, ContainerId: { } containerId })
        {
            throw new InvalidOperationException($"Session {sessionId} has no running container on agent {Id}.");
        }
        var terminal = await runtime.OpenTerminal(containerId, TerminalCommand, SessionUser, columns, rows, CancellationToken.None);
        var terminalId = Guid.NewGuid().ToString("N");
        _terminals[terminalId] = new TerminalHandle(sessionId, terminal);
        return terminalId;
    }

    public async IAsyncEnumerable<byte[]> ReadTerminal(string terminalId)
    {
        var terminal = TerminalOf(terminalId).Terminal;
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await terminal.Read(buffer, CancellationToken.None);
            if (read == 0)
            {
                break;
            }
            yield return buffer[..read];
        }
        await CloseTerminal(terminalId);
    }

    public async Task WriteTerminal(string terminalId, byte[] input) =>
        await TerminalOf(terminalId).Terminal.Write(input, CancellationToken.None);

    public Task ResizeTerminal(string terminalId, int columns, int rows) =>
        TerminalOf(terminalId).Terminal.Resize(columns, rows, CancellationToken.None);

    public async Task CloseTerminal(string terminalId)
    {
        if (_terminals.Remove(terminalId, out var open))
        {
            await open.Terminal.DisposeAsync();
        }
    }

    private TerminalHandle TerminalOf(string terminalId) =>
        _terminals.GetValueOrDefault(terminalId) ?? throw new KeyNotFoundException($"No terminal {terminalId} on agent {Id}.");

    private async Task CloseTerminals(string sessionId)
    {
        foreach (var terminalId in _terminals.Where(t => t.Value.SessionId == sessionId).Select(t => t.Key).ToArray())
        {
            await CloseTerminal(terminalId);
        }
    }

    /// <summary>
    /// Makes this activation's truth match the runtime's after a restart, in the background: containers of
    /// sessions this node holds and still wants are adopted (watched again), other labelled containers are
    /// removed, and sessions whose container vanished (or exited meanwhile) end.
    /// </summary>
    private async Task Reconcile()
    {
        await Task.Yield();
        RequestContext.Clear();
        try
        {
            var containers = await runtime.List(new Dictionary<string, string> { [ContainerLabels.Node] = Id }, CancellationToken.None);
            foreach (var container in containers.Where(c => !S.Sessions.ContainsKey(c.Labels.GetValueOrDefault(ContainerLabels.Session) ?? "")))
            {
                logger.LogWarning("Agent {Agent}: removing container {Container}, whose session {Session} this node does not hold",
                    Id, container.Id, container.Labels.GetValueOrDefault(ContainerLabels.Session));
                await runtime.Remove(container.Id, CancellationToken.None);
            }
            foreach (var (sessionId, session) in S.Sessions.ToArray())
            {
                if (_runs.ContainsKey(sessionId))
                {
                    continue; // started by this activation
                }
                var mine = containers.Where(c => c.Labels.GetValueOrDefault(ContainerLabels.Session) == sessionId).ToArray();
                await Reconcile(sessionId, session, mine.FirstOrDefault(c => c.State == ContainerState.Running) ?? mine.FirstOrDefault());
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Agent {Agent}: reconciling with the container runtime failed", Id);
        }
    }

    private async Task Reconcile(string sessionId, AgentSession session, ContainerInfo? container)
    {
        if (container is null || container.State is not (ContainerState.Running or ContainerState.Exited))
        {
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error,
                $"container vanished while agent {Id} was down (the session was {session.Phase})"));
            return;
        }
        if (container.State == ContainerState.Exited)
        {
            await Finish(sessionId, ExitReport(session, container.Id, container.ExitCode ?? -1, container.OomKilled));
            return;
        }

        if (session.Phase != ContainerPhase.Running)
        {
            EnterPhase(sessionId, ContainerPhase.Running, container.Id);
            await _writer.Write();
            var image = await runtime.FindImage(session.Spec.Image, CancellationToken.None);
            var apps = image is null ? [] : ImageApps.Parse(image.Labels);
            Report(sessionId, new RuntimeReport(SessionStatus.Running, null, null, container.Id, AppsOf(apps, container)));
        }
        Run(sessionId, stop => Watch(sessionId, session, container.Id, stop));

        var view = await GrainFactory.Ref<ISessionGrain>(sessionId).Get();
        if (view is null || SessionTransitions.IsFinal(view.Status) || view.AgentId != Id)
        {
            logger.LogWarning("Agent {Agent}: session {Session} no longer wants its container here; stopping it", Id, sessionId);
            // A message to itself, handled as a turn like any other Stop.
            await this.AsReference<IAgentGrain>().Stop(sessionId, force: true);
        }
    }

    /// <summary>Brings a session's container from reserved to running, then watches it until it exits.</summary>
    private async Task Drive(string sessionId, AgentSession session, CancellationToken stop)
    {
        using var stuck = new CancellationTokenSource(Options.StuckTimeout, time);
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(stop, stuck.Token);
        string containerId;
        try
        {
            EnterPhase(sessionId, ContainerPhase.Preparing);
            Report(sessionId, new RuntimeReport(SessionStatus.Preparing));

            var image = await runtime.FindImage(session.Spec.Image, starting.Token);
            if (image is null)
            {
                EnterPhase(sessionId, ContainerPhase.Pulling);
                Report(sessionId, new RuntimeReport(SessionStatus.Pulling, $"image {session.Spec.Image} is not on node {Id}"));
                // No registry to pull from: look once more, in case an operator loaded it meanwhile.
                image = await runtime.FindImage(session.Spec.Image, starting.Token);
                if (image is null)
                {
                    await Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"image {session.Spec.Image} not present on node {Id}"));
                    return;
                }
            }

            EnterPhase(sessionId, ContainerPhase.Creating);
            var apps = ImageApps.Parse(image.Labels);
            containerId = await runtime.Create(ContainerSpecFor(sessionId, session, apps), starting.Token);
            await runtime.Start(containerId, starting.Token);
            var info = await runtime.Inspect(containerId, starting.Token)
                ?? throw new InvalidOperationException($"container {containerId} vanished right after it started");

            // The container id and RUNNING are not stored here: after a restart, reconciliation finds the container
            // by its labels and stores them then (and the next write of this node's state carries them anyway).
            EnterPhase(sessionId, ContainerPhase.Running, containerId);
            Report(sessionId, new RuntimeReport(SessionStatus.Running, null, null, containerId, AppsOf(apps, info)));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return; // Stop (or deactivation) owns what follows.
        }
        catch (OperationCanceledException) when (stuck.IsCancellationRequested)
        {
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error,
                $"stuck in {PhaseOf(sessionId, session)} for longer than {Options.StuckTimeout}"));
            return;
        }
        catch (Exception exception)
        {
            var phase = PhaseOf(sessionId, session);
            logger.LogWarning(exception, "Agent {Agent}: starting {Session} failed in {Phase}", Id, sessionId, phase);
            await Finish(sessionId, new RuntimeReport(SessionStatus.Error, $"{phase} failed: {exception.Message}"));
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

        await Finish(sessionId, ExitReport(session, containerId, exitCode, oomKilled));
    }

    /// <summary>A container that exited by itself ends its session: a batch one as TERMINATED, an interactive one as ERROR.</summary>
    private static RuntimeReport ExitReport(AgentSession session, string containerId, int exitCode, bool oomKilled)
    {
        var reason = oomKilled
            ? $"container killed for exceeding its memory limit (exit code {exitCode})"
            : $"container exited with code {exitCode}";
        var status = session.Spec.Type == SessionType.Batch ? SessionStatus.Terminated : SessionStatus.Error;
        return new RuntimeReport(status, reason, exitCode, containerId);
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
        await CloseTerminals(sessionId);
        if (!S.Sessions.TryGetValue(sessionId, out var session))
        {
            return;
        }
        S.Sessions = S.Sessions.Remove(sessionId);
        _node?.Release(sessionId);
        _version++;
        await _writer.Write();
        MarkDevices(session.Placement.Gpus.Select(g => g.Uuid));
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
    private void EnterPhase(string sessionId, ContainerPhase phase, string? containerId = null)
    {
        if (S.Sessions.TryGetValue(sessionId, out var current))
        {
            S.Sessions = S.Sessions.SetItem(sessionId,
                current with { Phase = phase, PhaseSince = time.GetUtcNow(), ContainerId = containerId ?? current.ContainerId });
        }
    }

    private ContainerPhase PhaseOf(string sessionId, AgentSession started) =>
        S.Sessions.GetValueOrDefault(sessionId)?.Phase ?? started.Phase;

    private ContainerSpec ContainerSpecFor(string sessionId, AgentSession session, IReadOnlyList<ImageApp> apps)
    {
        var spec = session.Spec;
        var placement = session.Placement;
        var env = new Dictionary<string, string>(spec.Env) { ["GRANARY_SESSION_ID"] = sessionId };
        foreach (var (name, value) in ImageApps.Environment(apps, sessionId))
        {
            env[name] = value;
        }
        // Last, so a session's own environment cannot lift its GPU limits.
        var capacity = S.Registration!.Capacity;
        var gpus = GpuEnforcement.For(capacity.EnforcementMode, placement.Gpus, capacity.Gpus);
        foreach (var (name, value) in gpus.Env)
        {
            env[name] = value;
        }
        var files = session.SshKey is { } key
            ? new[]
            {
                new ContainerFile("/home/work/.ssh/authorized_keys", key.PublicKey + "\n", 0b110_000_000 /* 0600 */, SessionUid, SessionUid),
                new ContainerFile("/home/work/id_container", key.PrivateKey, 0b110_000_000, SessionUid, SessionUid),
            }
            : [];
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
            PublishedPorts: ImageApps.Ports(apps),
            Mounts: spec.Mounts.Select(m => new BindMount(folders.Ensure(spec.Owner, m.Folder), m.Path, m.ReadOnly)).ToArray(),
            GpuUuids: gpus.DeviceUuids,
            Files: files);
    }

    /// <summary>The apps reachable from outside: those with a container port the node published.</summary>
    private AppEndpoint[] AppsOf(IReadOnlyList<ImageApp> apps, ContainerInfo info) =>
        apps
            .Where(a => a.Port > 0 && info.Ports.ContainsKey(a.Port))
            .Select(a => new AppEndpoint(a.Name, a.Protocol, Options.Host, info.Ports[a.Port]))
            .ToArray();

    private Dictionary<string, string> SessionLabels(string sessionId) => new()
    {
        [ContainerLabels.Session] = sessionId,
        [ContainerLabels.Node] = Id,
    };

    private void Report(string sessionId, RuntimeReport report) =>
        _outbox.Writer.TryWrite((sessionId, report with { AgentId = Id }));

    /// <summary>Delivers reports to sessions outside this grain's turns (see the class comment): each session's
    /// reports in the order they were made, different sessions' reports side by side, so that one slow session
    /// (or a busy node with many starts) does not hold up the others.</summary>
    private async Task DeliverReports()
    {
        await Task.Yield();
        RequestContext.Clear();
        var reader = _outbox.Reader;
        while (await reader.WaitToReadAsync())
        {
            var batch = new List<(string SessionId, RuntimeReport Report)>();
            while (reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            await Task.WhenAll(batch.GroupBy(item => item.SessionId, StringComparer.Ordinal)
                .Select(reports => Deliver(reports.Key, reports.Select(item => item.Report).ToArray())));
        }
    }

    private async Task Deliver(string sessionId, RuntimeReport[] reports)
    {
        var last = reports[^1].Status;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await GrainFactory.Ref<ISessionGrain>(sessionId).Report(reports);
                return;
            }
            catch (Exception exception) when (attempt < 5)
            {
                logger.LogWarning(exception, "Agent {Agent}: report {Status} to {Session} failed (attempt {Attempt})", Id, last, sessionId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Agent {Agent}: giving up on reporting {Status} to {Session}", Id, last, sessionId);
                return;
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
        StartLivenessTimer();
    }

    private void RequestPush()
    {
        if (_pushRequested || _pushTimer is null)
        {
            return;
        }
        _pushRequested = true;
        _pushTimer.Change(Options.PushDelay, Timeout.InfiniteTimeSpan);
    }

    private async Task PushRequested(CancellationToken cancellationToken)
    {
        _pushRequested = false;
        await PushSnapshot();
        if (_dirtyDevices.Count > 0)
        {
            var devices = _dirtyDevices.ToArray();
            _dirtyDevices.Clear();
            await UpdateDevices(devices);
        }
    }

    /// <summary>The node's allocations changed: push a snapshot, and refresh these devices' views in the same
    /// (coalesced) turn rather than once per session.</summary>
    private void MarkDevices(IEnumerable<string> uuids)
    {
        _dirtyDevices.UnionWith(uuids);
        RequestPush();
    }

    private async Task Heartbeat(CancellationToken cancellationToken)
    {
        await RefreshImages();
        await UpdateDevices(ReadGpuMetrics());
        await PushSnapshot();
    }

    /// <summary>Reads each device's live load; returns the devices whose load changed.</summary>
    private List<string> ReadGpuMetrics()
    {
        var changed = new List<string>();
        if (_gpuDiscovery is null || S.Registration is null)
        {
            return changed;
        }
        foreach (var device in S.Registration.Capacity.Gpus)
        {
            if (_gpuDiscovery.ReadMetrics(device.Uuid) is { } metrics && metrics != _gpuMetrics.GetValueOrDefault(device.Uuid))
            {
                _gpuMetrics[device.Uuid] = metrics;
                changed.Add(device.Uuid);
            }
        }
        return changed;
    }

    private async Task RefreshImages()
    {
        try
        {
            var images = (await runtime.ListImages(CancellationToken.None)).OrderBy(i => i.Reference, StringComparer.Ordinal).ToArray();
            var references = images.Select(i => i.Reference).ToArray();
            if (!references.SequenceEqual(_images))
            {
                _images = references;
                _version++;
                await GrainFactory.Ref<IImageCatalogGrain>(IImageCatalogGrain.Key)
                    .Report(Id, images.Select(i => ImageDescriptors.Of(i, logger)).ToArray());
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
            await GrainFactory.Ref<ISchedulerGrain>(S.Registration.ResourceGroup).ReportAgent(Snapshot());
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
            time.GetUtcNow(),
            Schedulable: !VerifyingAfterLoss);
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
            // The node's allocation map keeps each device's shares; the view gets a copy (it is immutable, the map is not).
            var shares = new Dictionary<string, int>(_node.Gpus.SharesOn(device.Uuid));
            var metrics = _gpuMetrics.GetValueOrDefault(device.Uuid);
            await GrainFactory.Ref<IGpuDeviceGrain>(device.Uuid).Update(
                new GpuDeviceView(device, Id, shares, metrics?.UtilizationPercent ?? 0, metrics?.MemoryUsedBytes ?? 0));
        }
    }

    private sealed record TerminalHandle(string SessionId, IContainerTerminal Terminal);

    private sealed class ContainerRun
    {
        private readonly CancellationTokenSource _stop = new();

        public CancellationToken Token => _stop.Token;
        public Task Task { get; set; } = Task.CompletedTask;

        public void Cancel() => _stop.Cancel();
    }
}
