namespace Granary.Scheduling.Replay;

/// <summary>Nodes the packing bounds treat alike: one model, GPU count, CPU and memory, and how many such nodes there are.</summary>
public sealed record NodeShape(string Model, int Gpus, long CpuMilli, long MemoryMib, int Count)
{
    /// <summary>The shapes of <paramref name="nodes"/>, in a fixed order.</summary>
    public static NodeShape[] Of(IEnumerable<TraceNode> nodes) => nodes
        .GroupBy(n => (Model: n.Model.ToUpperInvariant(), n.Gpus, n.CpuMilli, n.MemoryMib))
        .Select(g => new NodeShape(g.Key.Model, g.Key.Gpus, g.Key.CpuMilli, g.Key.MemoryMib, g.Count()))
        .OrderBy(s => s.Model, StringComparer.Ordinal).ThenBy(s => s.Gpus).ThenBy(s => s.CpuMilli).ThenBy(s => s.MemoryMib)
        .ToArray();

    /// <summary>Whether the scheduler's node is one of this shape's (what <see cref="Of"/> groups a trace node by: its
    /// GPUs' model, GPUs, CPU, memory).</summary>
    public bool Takes(NodeState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var devices = node.Gpus.Devices;
        return devices.Count == Gpus && devices.Count > 0 && string.Equals(devices[0].Model, Model, StringComparison.OrdinalIgnoreCase)
            && node.Capacity.CpuMilli == CpuMilli && node.Capacity.MemoryBytes >> 20 == MemoryMib;
    }

    /// <summary>Whether one pod of the type fits an empty node of this shape (its GPU models included).</summary>
    public bool Fits(PackingBound.PodType type) =>
        type.CpuMilli <= CpuMilli && type.MemoryMib <= MemoryMib && type.NumGpu <= Gpus
        && (type.Models.Length == 0 || type.Models.Split('|').Contains(Model, StringComparer.Ordinal));
}
