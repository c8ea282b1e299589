using System.Collections.Immutable;

namespace Granary.Scheduling;

/// <summary>What each node of a cluster should hold (<see cref="NodePlan"/> by agent id): a packing of the workload
/// expected, solved before the requests arrive (the configuration LP's, see Granary.Scheduling.Replay.MixPlan).
/// Nodes without a plan take only requests outside it.</summary>
public sealed class WorkloadPlan(ImmutableDictionary<string, NodePlan> nodes)
{
    public static readonly WorkloadPlan Empty = new(ImmutableDictionary<string, NodePlan>.Empty);

    public IReadOnlyDictionary<string, NodePlan> Nodes => nodes;

    public NodePlan? For(string agentId) => nodes.GetValueOrDefault(agentId);
}
