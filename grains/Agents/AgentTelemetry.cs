using Granary.Agents.Runtime;
using Granary.Scheduling;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>
/// What one node tells the rest of the cluster: snapshots of its allocations to its group's scheduler (versioned,
/// coalesced: a burst of changes within PushDelay sends one) and its images to the catalog, on every change and every
/// heartbeat. Runs only in its agent grain's turns (timer callbacks included). Call graph: the scheduler and catalog
/// grains it awaits never call an agent back, so awaiting them here cannot close a cycle.
/// </summary>
internal sealed class AgentTelemetry(
    string agentId,
    Func<AgentRegistration?> registration,
    Func<NodeState?> node,
    IContainerRuntime runtime,
    Func<string?> foldersUnavailable,
    IGrainFactory grains,
    AgentOptions options,
    TimeProvider time,
    ILogger logger)
{
    // Versions must grow across activations too, or the scheduler would drop this activation's snapshots.
    private long _version = time.GetUtcNow().UtcTicks;
    private string[] _images = [];
    private IGrainTimer? _pushTimer;
    private bool _pushRequested;
    private string? _foldersUnavailable;

    /// <summary>False while the node, back from being lost, checks its sessions: the scheduler places nothing on it.</summary>
    public bool Schedulable { get; set; } = true;

    /// <summary>The node's truth changed: the next snapshot carries a new version.</summary>
    public void Changed() => _version++;

    /// <summary>The one-shot timer that sends a coalesced snapshot (registered by the grain, which owns timers).</summary>
    public void Attach(IGrainTimer pushTimer) => _pushTimer = pushTimer;

    public void RequestPush()
    {
        if (_pushRequested || _pushTimer is null)
        {
            return;
        }
        _pushRequested = true;
        _pushTimer.Change(options.PushDelay, Timeout.InfiniteTimeSpan);
    }

    public async Task PushRequested(CancellationToken cancellationToken)
    {
        _pushRequested = false;
        await PushSnapshot();
    }

    public async Task Heartbeat(CancellationToken cancellationToken)
    {
        await RefreshImages();
        await PushSnapshot();
    }

    /// <summary>Whether the node can mount folders now (the shared storage may come and go); a change is a new
    /// version, logged with the operator's details, while the snapshot says it in words fit for users.</summary>
    public void RefreshFolders()
    {
        var unavailable = foldersUnavailable();
        if (unavailable == _foldersUnavailable)
        {
            return;
        }
        _foldersUnavailable = unavailable;
        _version++;
        if (unavailable is null)
        {
            logger.LogInformation("Agent {Agent}: storage folders can be mounted again", agentId);
        }
        else
        {
            logger.LogWarning("Agent {Agent}: storage folders cannot be mounted, so no session that mounts one is placed here: {Reason}", agentId, unavailable);
        }
    }

    public bool CanMountFolders()
    {
        RefreshFolders();
        return _foldersUnavailable is null;
    }

    public async Task RefreshImages()
    {
        try
        {
            var images = (await runtime.ListImages(CancellationToken.None)).OrderBy(i => i.Reference, StringComparer.Ordinal).ToArray();
            var references = images.Select(i => i.Reference).ToArray();
            if (!references.SequenceEqual(_images))
            {
                _images = references;
                _version++;
                await grains.Ref<IImageCatalogGrain>(IImageCatalogGrain.Key)
                    .Report(agentId, images.Select(i => ImageDescriptors.Of(i, logger)).ToArray());
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: listing images failed; keeping the last known list", agentId);
        }
    }

    public async Task PushSnapshot()
    {
        if (registration() is not { } registered)
        {
            return;
        }
        RefreshFolders();
        try
        {
            await grains.Ref<ISchedulerGrain>(registered.ResourceGroup).ReportAgent(Snapshot());
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Agent {Agent}: sending the snapshot failed; the next heartbeat retries", agentId);
        }
    }

    public AgentSnapshot Snapshot()
    {
        var registered = registration() ?? throw new InvalidOperationException($"Agent {agentId} is not registered.");
        return new AgentSnapshot(
            agentId,
            registered.ResourceGroup,
            registered.Capacity,
            node()!.Allocations.ToArray(),
            _images,
            runtime.Name,
            _version,
            time.GetUtcNow(),
            Schedulable,
            _foldersUnavailable is null ? null : $"node {agentId}: its folder root is not the cluster's shared storage (see its log)");
    }
}
