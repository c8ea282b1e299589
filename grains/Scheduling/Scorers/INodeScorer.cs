using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Ranks a feasible node for a request: the highest score wins, ties go to the lowest agent id.</summary>
public interface INodeScorer
{
    double Score(NodeState node, ResourceRequest request);
}
