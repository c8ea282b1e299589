using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>A feasibility check: may this request go on this node now? Filters run in order; a node must pass all.</summary>
public interface INodeFilter
{
    bool Admits(NodeState node, ResourceRequest request);

    /// <summary>Why none of <paramref name="candidates"/> (the nodes that passed the earlier filters) passes this one;
    /// a short specific sentence for the pending reason.</summary>
    string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates);

    /// <summary>Whether asking for more never makes a node pass this round (<see cref="RequestDominance"/> relies on
    /// it to skip requests that need at least what one that fit nowhere needed).</summary>
    bool Monotone => true;
}
