using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>A uniformly random feasible node, from a seeded generator (a baseline for comparisons).</summary>
public sealed class RandomScorer(int seed) : INodeScorer
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public double Score(NodeState node, ResourceRequest request)
    {
        lock (_lock) return _random.NextDouble();
    }
}
