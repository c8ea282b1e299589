using Granary.Agents.Gpu;
using Granary.Agents.Runtime;
using Granary.Scheduling;
using Microsoft.Extensions.Logging;

namespace Granary.Agents;

/// <summary>
/// What one node tells the rest of the cluster: snapshots of its allocations to its group's scheduler (versioned,
/// coalesced: a burst of changes within PushDelay sends one), the views of its GPU devices (shares and live
/// metrics) to their device grains, and its images to the catalog, on every change and every heartbeat.
/// Runs only in its agent grain's turns (timer callbacks included). Call graph: the scheduler, device and catalog
/// grains it awaits never call an agent back, so awaiting them here cannot close a cycle.
/// </summary>
internal sealed class AgentTelemetry(
    string agentId,
    Func<AgentRegistration?> registration,
    Func<NodeState?> node,
    IContainerRuntime runtime,
    IGpuDiscovery? gpuDiscovery,
    IGrainFactory grains,
    AgentOptions options,
    TimeProvider time,
    ILogger logger)
{
    private readonly Dictionary<string, GpuMetrics> _gpuMetrics = [];
    private readonly HashSet<string> _dirtyDevices = [];
    // Versions must grow across activations too, or the scheduler would drop this activation's snapshots.
    private long _version = time.GetUtcNow().UtcTicks;
    private string[] _images = [];
    private IGrainTimer? _pushTimer;
    private bool _pushRequested;

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

    /// <summary>The node's allocations changed: push a snapshot, and refresh these devices' views in the same
    /// (coalesced) turn rather than once per session.</summary>
    public void MarkDevices(IEnumerable<string> uuids)
    {
        _dirtyDevices.UnionWith(uuids);
        RequestPush();
    }

    public async Task PushRequested(CancellationToken cancellationToken)
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

    public async Task Heartbeat(CancellationToken cancellationToken)
    {
        await RefreshImages();
        await UpdateDevices(ReadGpuMetrics());
        await PushSnapshot();
    }

    /// <summary>Reads each device's live load; returns the devices whose load changed.</summary>
    public List<string> ReadGpuMetrics()
    {
        var changed = new List<string>();
        if (gpuDiscovery is null || registration() is not { } registered)
        {
            return changed;
        }
        foreach (var device in registered.Capacity.Gpus)
        {
            if (gpuDiscovery.ReadMetrics(device.Uuid) is { } metrics && metrics != _gpuMetrics.GetValueOrDefault(device.Uuid))
            {
                _gpuMetrics[device.Uuid] = metrics;
                changed.Add(device.Uuid);
            }
        }
        return changed;
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
            Schedulable);
    }

    public async Task UpdateDevices(IEnumerable<string> uuids)
    {
        if (registration() is not { } registered || node() is not { } truth)
        {
            return;
        }
        var wanted = uuids.ToHashSet();
        foreach (var device in registered.Capacity.Gpus.Where(g => wanted.Contains(g.Uuid)))
        {
            // The node's allocation map keeps each device's shares; the view gets a copy (it is immutable, the map is not).
            var shares = new Dictionary<string, int>(truth.Gpus.SharesOn(device.Uuid));
            var metrics = _gpuMetrics.GetValueOrDefault(device.Uuid);
            await grains.Ref<IGpuDeviceGrain>(device.Uuid).Update(
                new GpuDeviceView(device, agentId, shares, metrics?.UtilizationPercent ?? 0, metrics?.MemoryUsedBytes ?? 0));
        }
    }
}
