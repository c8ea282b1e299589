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

    /// <summary>Whether every filter is monotone in the request now (<see cref="INodeFilter.Monotone"/>).</summary>
    public bool FiltersMonotone
    {
        get
        {
            foreach (var filter in _filters)
                if (!filter.Monotone) return false;
            return true;
        }
    }

    /// <summary>Schedulable, folders, GPU model, CPU, memory, GPU share: the checks every policy needs.</summary>
    public static readonly IReadOnlyList<INodeFilter> StandardFilters =
        [SchedulableFilter.Instance, FolderFilter.Instance, GpuModelFilter.Instance, CpuFilter.Instance, MemoryFilter.Instance, GpuFilter.Instance];

    public static readonly PlacementPolicy BestFit = new("bestfit", StandardFilters, BestFitScorer.Instance);
    public static readonly PlacementPolicy WorstFit = new("worstfit", StandardFilters, WorstFitScorer.Instance);

    /// <summary>The default without a plan (the grains' default policy is the planner, <see cref="PlanName"/>, which
    /// places by this one until its first plan and whenever a plan loses its trial): fragmentation-aware placement (FGD's score, see <see cref="FragmentationScorer"/>) with
    /// ties going to nodes already in use, measured against the observed mix of each round (or a given target
    /// workload), in coarser steps while model-constrained requests ask for a share of the GPU (whatif's rule, without
    /// its replays: <see cref="WhatIfScorer.ConstrainedShare"/>), and FGD itself (ties to any node) while requests for
    /// GPU shares ask for little of the GPU (<see cref="WhatIfScorer.LightSharingShare"/>). docs/scheduling.md
    /// compares it with FGD.</summary>
    public const string DefaultName = "fgd-adaptive";

    /// <summary>The default without its <see cref="WholeDeviceReserve"/>: it never keeps a share waiting that fits, at
    /// the price of more GPU left unallocated once the cluster is full (docs/scheduling.md, "A whole-device reserve").</summary>
    public const string DefaultWithoutReserveName = "fgd-adaptive-no-reserve";

    /// <summary>A scheduler following the plan its planner solves for the mix it observes (<see cref="Following"/>), the
    /// grains' default (<see cref="SchedulerOptions.Policy"/>); not among <see cref="Names"/>, which need no plan: until
    /// its first plan it places as <see cref="DefaultName"/> does.</summary>
    public const string PlanName = "plan";

    /// <summary>Every policy name that needs no plan, the default without a plan first.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [DefaultName, DefaultWithoutReserveName, "fgd-consolidate", "whatif", "fgd", "fgd-coarse", "fgd-coarse-consolidate", "fgd-exact", "bestfit", "bestfit-cpugpu", "worstfit", "roundrobin", "dotproduct", "gpupacking", "random"];

    /// <summary>The portfolio "whatif" chooses from by replaying recent arrivals (<see cref="WhatIfScorer"/>).</summary>
    public static IReadOnlyList<string> WhatIfMembers { get; } = ["fgd-consolidate", "fgd", WhatIfConstrainedMember];

    /// <summary>The member "whatif" adopts while model-constrained requests ask for a share of the GPU
    /// (<see cref="WhatIfScorer.ConstrainedShare"/>).</summary>
    public const string WhatIfConstrainedMember = "fgd-coarse-consolidate";

    /// <summary>The policy of that name (case-insensitive); ArgumentException for an unknown one. Stateless policies
    /// are shared; stateful ones (round robin, random) come fresh on every call, so a scheduler that wants their state
    /// to carry across rounds keeps the instance from <see cref="Create"/>.</summary>
    public static PlacementPolicy Resolve(string name) => name?.ToLowerInvariant() switch
    {
        "bestfit" => BestFit,
        "worstfit" => WorstFit,
        _ => Create(name!),
    };

    /// <summary>Standard filters, except that a fractional share must fit on one device (no even split).</summary>
    public static readonly IReadOnlyList<INodeFilter> SingleDeviceShareFilters =
        [SchedulableFilter.Instance, FolderFilter.Instance, GpuModelFilter.Instance, CpuFilter.Instance, MemoryFilter.Instance, GpuFilter.SingleDevice];

    /// <summary>Following <paramref name="plan"/> (<see cref="PlanScorer"/>): each share on one device, and while at
    /// most <paramref name="hold"/> of the GPUs are whole, shares outside the plan only on GPUs in use
    /// (<see cref="PlanHold"/>; 0 never holds).</summary>
    public static PlacementPolicy Following(WorkloadPlan plan, double hold)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var planHold = new PlanHold(plan, hold);
        return new PlacementPolicy(PlanName, [.. SingleDeviceShareFilters, planHold], new PlanScorer(plan, planHold));
    }

    /// <summary>A new instance of the named policy. <paramref name="workload"/> fixes the mix the fragmentation-aware
    /// policies measure against (null: the observed mix of each round); <paramref name="seed"/> seeds "random";
    /// <paramref name="splitShares"/> false keeps every fractional share on one device; <paramref name="workloadRefresh"/>
    /// lets a fragmentation-aware policy with no fixed workload reuse its observed mix that long (zero: every round).</summary>
    public static PlacementPolicy Create(string name, TargetWorkload? workload = null, int seed = 0, bool splitShares = true,
        TimeSpan workloadRefresh = default)
    {
        var key = name?.ToLowerInvariant();
        var reserve = key == DefaultName ? new WholeDeviceReserve() : null;
        INodeScorer scorer = key switch
        {
            "bestfit" => BestFitScorer.Instance,
            "worstfit" => WorstFitScorer.Instance,
            "roundrobin" => new RoundRobinScorer(),
            "random" => new RandomScorer(seed),
            "dotproduct" => DotProductScorer.Instance,
            "gpupacking" => GpuPackingScorer.Instance,
            "fgd" => new FragmentationScorer(workload, resolution: 100) { WorkloadRefresh = workloadRefresh },
            "fgd-exact" => new FragmentationScorer(workload, resolution: 0) { WorkloadRefresh = workloadRefresh },
            "bestfit-cpugpu" => new CpuGpuFitScorer(resolution: 100),
            "fgd-coarse" => new FragmentationScorer(workload, resolution: 50) { WorkloadRefresh = workloadRefresh },
            "fgd-consolidate" => new FragmentationScorer(workload, resolution: 100) { PreferUsedNodes = true, WorkloadRefresh = workloadRefresh },
            // A portfolio that never replays (period: never): only the rules on the observed mix switch its member.
            DefaultName or DefaultWithoutReserveName => new WhatIfScorer([Create("fgd-consolidate", workload, seed, splitShares, workloadRefresh),
                Create(WhatIfConstrainedMember, workload, seed, splitShares, workloadRefresh),
                Create("fgd", workload, seed, splitShares, workloadRefresh)], period: int.MaxValue, constrainedMember: 1, lightSharingMember: 2,
                reserve: reserve),
            "fgd-coarse-consolidate" => new FragmentationScorer(workload, resolution: 50) { PreferUsedNodes = true, WorkloadRefresh = workloadRefresh },
            "whatif" => new WhatIfScorer(WhatIfMembers.Select(m => Create(m, workload, seed, splitShares, workloadRefresh)).ToArray(),
                judge: WhatIfJudge.PlacedLessFragmentation, workload: workload,
                constrainedMember: WhatIfMembers.ToList().IndexOf(WhatIfConstrainedMember)),
            _ => throw new ArgumentException($"Unknown placement policy '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
        };
        var filters = splitShares ? StandardFilters : SingleDeviceShareFilters;
        return new PlacementPolicy(key!, reserve is null ? filters : [.. filters, reserve], scorer);
    }
}
