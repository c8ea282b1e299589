using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.Devices;
using Granary.Sessions;

namespace Granary.Telemetry;

/// <summary>
/// The agent grains of this process, read when /metrics is scraped. Each registers a function that reads its
/// state's immutable parts (the registration and the immutable session map), so a scrape never sees a half-made
/// change and the agent does nothing per change for metrics.
/// </summary>
public static class NodeGauges
{
    private static readonly ConcurrentDictionary<string, Registration> Nodes = new(StringComparer.Ordinal);

    /// <summary>Tracks a node until the returned handle is disposed (the agent's deactivation).</summary>
    public static IDisposable Track(string nodeId, Func<NodeReading?> read)
    {
        var registration = new Registration(nodeId, read);
        Nodes[nodeId] = registration;
        return registration;
    }

    public static IEnumerable<Measurement<double>> Read(Func<NodeReading, double> value) =>
        Readings().Select(n => new Measurement<double>(value(n), Tag("node", n.NodeId), Tag("resource_group", n.ResourceGroup)));

    public static IEnumerable<Measurement<long>> SessionsByStatus()
    {
        var byStatus = new Dictionary<(string Group, SessionStatus Status), long>();
        foreach (var node in Readings())
        {
            foreach (var session in node.Sessions.Values)
            {
                var key = (node.ResourceGroup, StatusOf(session.Phase));
                byStatus[key] = byStatus.GetValueOrDefault(key) + 1;
            }
        }
        foreach (var (group, queued) in SchedulerGauges.Queued())
        {
            byStatus[(group, SessionStatus.Pending)] = byStatus.GetValueOrDefault((group, SessionStatus.Pending)) + queued;
        }
        return byStatus.Select(s => new Measurement<long>(s.Value,
            GranaryMetrics.StatusTag(s.Key.Status), Tag("resource_group", s.Key.Group)));
    }

    public static IEnumerable<Measurement<double>> GpuCapacity() =>
        Readings().SelectMany(n => n.Registration.Capacity.Gpus
            .GroupBy(g => g.Model)
            .Select(g => GpuMeasurement(n, g.Key, g.Sum(MigSlots.SlotMilli) / 1000.0)));

    public static IEnumerable<Measurement<double>> GpuAllocated() =>
        Readings().SelectMany(n =>
        {
            var models = n.Registration.Capacity.Gpus.ToDictionary(g => g.Uuid, g => g.Model);
            var milli = models.Values.Distinct().ToDictionary(m => m, _ => 0L);
            foreach (var share in n.Sessions.Values.SelectMany(s => s.Placement.Gpus))
            {
                if (models.TryGetValue(share.Uuid, out var model))
                {
                    milli[model] += share.Milli;
                }
            }
            return milli.Select(m => GpuMeasurement(n, m.Key, m.Value / 1000.0));
        });

    private static Measurement<double> GpuMeasurement(NodeReading node, string model, double value) =>
        new(value, Tag("node", node.NodeId), Tag("resource_group", node.ResourceGroup), Tag("model", model));

    private static SessionStatus StatusOf(ContainerPhase phase) => phase switch
    {
        ContainerPhase.Reserved => SessionStatus.Scheduled,
        ContainerPhase.Pulling => SessionStatus.Pulling,
        ContainerPhase.Running => SessionStatus.Running,
        _ => SessionStatus.Preparing,
    };

    internal static IEnumerable<NodeReading> Readings() =>
        Nodes.Values.Select(n => n.Read()).OfType<NodeReading>();

    internal static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    private sealed class Registration(string nodeId, Func<NodeReading?> read) : IDisposable
    {
        public NodeReading? Read() => read();

        /// <summary>Removes this registration only: a newer activation of the same node may have replaced it.</summary>
        public void Dispose() => Nodes.TryRemove(new KeyValuePair<string, Registration>(nodeId, this));
    }
}

/// <summary>A node as the gauges see it at one scrape; GpuSamples: the last live sample of each device (empty for
/// configured GPUs).</summary>
public sealed record NodeReading(
    string NodeId,
    AgentRegistration Registration,
    ImmutableDictionary<string, AgentSession> Sessions,
    ImmutableDictionary<string, GpuMetrics>? GpuSamples = null)
{
    public string ResourceGroup => Registration.ResourceGroup;
    public double CpuCapacityCores => Registration.Capacity.CpuMilli / 1000.0;
    public double CpuAllocatedCores => Sessions.Values.Sum(s => s.Placement.CpuMilli) / 1000.0;
    public double MemoryCapacityBytes => Registration.Capacity.MemoryBytes;
    public double MemoryAllocatedBytes => Sessions.Values.Sum(s => s.Placement.MemoryBytes);
}
