using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>How nodes are chosen: feasibility filters in order, then one scorer (Nomad style).</summary>
public sealed class PlacementPolicy(string name, IReadOnlyList<INodeFilter> filters, INodeScorer scorer)
{
    private readonly INodeFilter[] _filters = filters.ToArray();

    public string Name { get; } = name;
    public IReadOnlyList<INodeFilter> Filters => _filters;
    public INodeScorer Scorer { get; } = scorer;

    /// <summary>Whether the node passes every filter (an array loop: this runs for every node of every request).</summary>
    public bool Admits(NodeState node, ResourceRequest request)
    {
        var filters = _filters;
        for (var i = 0; i < filters.Length; i++)
            if (!filters[i].Admits(node, request)) return false;
        return true;
    }

    /// <summary>Schedulable, GPU model, CPU, memory, GPU share: the checks every policy needs.</summary>
    public static readonly IReadOnlyList<INodeFilter> StandardFilters =
        [SchedulableFilter.Instance, GpuModelFilter.Instance, CpuFilter.Instance, MemoryFilter.Instance, GpuFilter.Instance];

    public static readonly PlacementPolicy BestFit = new("bestfit", StandardFilters, BestFitScorer.Instance);
    public static readonly PlacementPolicy WorstFit = new("worstfit", StandardFilters, WorstFitScorer.Instance);

    public static IReadOnlyList<string> Names { get; } = ["bestfit", "worstfit"];

    /// <summary>The policy of that name (case-insensitive); ArgumentException for an unknown one.</summary>
    public static PlacementPolicy Resolve(string name) => name?.ToLowerInvariant() switch
    {
        "bestfit" => BestFit,
        "worstfit" => WorstFit,
        _ => throw new ArgumentException($"Unknown placement policy '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };
}
