using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The value <see cref="WhatIfScorer"/> gives a member's plan: GPU milli placed, less (with a fragmentation
/// model) the growth of FGD's fragmentation summed over the nodes the plan touches.</summary>
public static class WhatIfValue
{
    public static double Of(IReadOnlyList<Placement> placements, ClusterState cluster, FragmentationModel? model)
    {
        ArgumentNullException.ThrowIfNull(placements);
        ArgumentNullException.ThrowIfNull(cluster);
        double value = 0;
        foreach (var placement in placements)
            foreach (var share in placement.Gpus) value += share.Milli;
        if (model is null) return value;

        var after = new Dictionary<string, NodeState>(StringComparer.Ordinal);
        foreach (var placement in placements)
        {
            if (!after.TryGetValue(placement.AgentId, out var node))
                after[placement.AgentId] = node = (cluster.Find(placement.AgentId)
                    ?? throw new InvalidOperationException($"Unknown agent {placement.AgentId}.")).Clone();
            if (!node.TryApply(placement, out var reason))
                throw new InvalidOperationException($"Placement of session {placement.SessionId} does not fit: {reason}.");
        }
        foreach (var (agentId, node) in after)
            value -= Fragmentation(model, node) - Fragmentation(model, cluster.Find(agentId)!);
        return value;
    }

    /// <summary>FGD's fragmentation of the node as it is.</summary>
    public static double Fragmentation(FragmentationModel model, NodeState node)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(node);
        var gpus = node.Gpus;
        Span<int> free = stackalloc int[gpus.DeviceCount];
        Span<int> models = stackalloc int[gpus.DeviceCount];
        for (var i = 0; i < free.Length; i++)
        {
            free[i] = gpus.FreeMilliAt(i);
            models[i] = model.ModelId(gpus.Devices[i].Model);
        }
        return model.Fragmentation(free, models, node.FreeCpuMilli);
    }
}
