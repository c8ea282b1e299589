using System.Collections.Immutable;
using Granary.Agents.Gpu;
using Granary.Agents.Launch;
using Granary.Scheduling;

namespace Granary.Agents;

/// <summary>
/// A node's GPUs as they are now, for GET /v1/gpus: it samples each device's utilisation, memory and compute
/// processes (NVML or a mock source, every GpuSampleInterval) and builds the views from the node's truth: the shares
/// come from the node's allocation map (the one place that decides what fits), the processes' sessions from the
/// containers the node runs. There is no grain per device: it would be a second copy of the shares to keep in step.
/// Runs only in its agent grain's turns.
/// </summary>
internal sealed class AgentGpus(
    string agentId,
    Func<AgentRegistration?> registration,
    Func<NodeState?> node,
    Func<ImmutableDictionary<string, AgentSession>> sessions,
    IGpuDiscovery? discovery,
    TimeProvider time)
{
    private ImmutableDictionary<string, GpuMetrics> _metrics = ImmutableDictionary.Create<string, GpuMetrics>(StringComparer.Ordinal);
    private DateTimeOffset? _sampledAt;

    public bool HasLiveMetrics => discovery is not null;

    /// <summary>The last sample of each device, by uuid: replaced whole by each sample, so the metrics scrape may read
    /// it off the grain's thread.</summary>
    public ImmutableDictionary<string, GpuMetrics> Samples => Volatile.Read(ref _metrics);

    public void Sample()
    {
        if (discovery is null || registration() is not { } registered)
        {
            return;
        }
        var samples = _metrics.ToBuilder();
        foreach (var device in registered.Capacity.Gpus)
        {
            if (discovery.ReadMetrics(device.Uuid) is { } metrics)
            {
                samples[device.Uuid] = metrics;
            }
        }
        Volatile.Write(ref _metrics, samples.ToImmutable());
        _sampledAt = time.GetUtcNow();
    }

    public GpuDeviceView[] Views()
    {
        if (registration() is not { } registered || node() is not { } truth)
        {
            return [];
        }
        var sessionOfContainer = sessions().Values
            .Where(s => s.ContainerId is not null)
            .ToDictionary(s => s.ContainerId!, s => s.Placement.SessionId, StringComparer.Ordinal);
        var capacity = registered.Capacity;
        return capacity.Gpus.Select(device =>
        {
            var metrics = _metrics.GetValueOrDefault(device.Uuid);
            return new GpuDeviceView(
                device,
                agentId,
                new Dictionary<string, int>(truth.Gpus.SharesOn(device.Uuid)),
                metrics?.UtilizationPercent,
                metrics?.MemoryUsedBytes,
                metrics?.Processes?.Select(p => new GpuProcessView(
                    p.Pid, p.UsedMemoryBytes, p.ContainerId is { } c ? sessionOfContainer.GetValueOrDefault(c) : null, p.ContainerId)).ToArray(),
                capacity.GpuSource,
                capacity.EnforcementMode,
                GpuEnforcement.Enforces(capacity.EnforcementMode),
                metrics is null ? null : _sampledAt);
        }).ToArray();
    }
}
