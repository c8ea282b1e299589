using System.Diagnostics.Metrics;
using Granary.Agents;
using Granary.Agents.Gpu;
using Granary.Devices;

namespace Granary.Telemetry;

/// <summary>
/// Per-GPU series of this process's nodes, read at scrape time from <see cref="NodeGauges"/>' readings: the live
/// samples the agent takes (AgentGpus, every GpuSampleInterval) and the shares its sessions hold. Labelled by node,
/// gpu (uuid), gpu_index (NVML's index; a MIG instance has its GPU's), model and mock ("true" for made-up GPUs).
/// </summary>
public static class GpuGauges
{
    /// <summary>A sampled value per device that has a sample with one (none for configured GPUs).</summary>
    public static IEnumerable<Measurement<double>> Sampled(Func<GpuMetrics, double?> value) =>
        NodeGauges.Readings().SelectMany(n => n.Registration.Capacity.Gpus
            .Select(d => (Device: d, Value: n.GpuSamples?.GetValueOrDefault(d.Uuid) is { } m ? value(m) : null))
            .Where(s => s.Value is not null)
            .Select(s => Measurement(n, s.Device, s.Value!.Value)));

    /// <summary>A value of each device's description.</summary>
    public static IEnumerable<Measurement<double>> Devices(Func<GpuDeviceInfo, double> value) =>
        NodeGauges.Readings().SelectMany(n => n.Registration.Capacity.Gpus.Select(d => Measurement(n, d, value(d))));

    /// <summary>Per device: the milli-GPU its sessions hold over what it holds (a MIG slot is held whole: 1).</summary>
    public static IEnumerable<Measurement<double>> AllocatedShare() =>
        NodeGauges.Readings().SelectMany(n =>
        {
            var held = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var share in n.Sessions.Values.SelectMany(s => s.Placement.Gpus))
            {
                held[share.Uuid] = held.GetValueOrDefault(share.Uuid) + share.Milli;
            }
            return n.Registration.Capacity.Gpus.Select(d =>
                Measurement(n, d, held.GetValueOrDefault(d.Uuid) / (double)MigSlots.SlotMilli(d)));
        });

    private static Measurement<double> Measurement(NodeReading node, GpuDeviceInfo device, double value) =>
        new(value,
            NodeGauges.Tag("node", node.NodeId),
            NodeGauges.Tag("gpu", device.Uuid),
            NodeGauges.Tag("gpu_index", device.Index),
            NodeGauges.Tag("model", device.Model),
            NodeGauges.Tag("mock", node.Registration.Capacity.GpuSource == "mock" ? "true" : "false"));
}
