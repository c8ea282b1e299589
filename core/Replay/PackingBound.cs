using System.Diagnostics;
using Google.OrTools.LinearSolver;

namespace Granary.Scheduling.Replay;

/// <summary>
/// An upper bound on the GPU milli that any placement of any subset of some pods can hold on a cluster at once,
/// hence a lower bound on the GPU capacity every policy leaves unallocated after those pods arrived. It is the
/// optimum of a linear program (GLOP) over pod types × node shapes, so it takes milliseconds where an exact packing
/// would not finish. Why every constraint holds for every real placement: docs/scheduling.md, "The limit".
/// </summary>
/// <remarks>
/// Variables: x[t, s] ≥ 0, the number of pods of type t (CPU, memory, GPU count, milli per GPU, allowed models) on
/// nodes of shape s (model, GPU count, CPU, memory), only where one such pod fits an empty such node. Maximise
/// Σ GPU milli(t) · x[t, s] subject to, for each type, Σ_s x[t, s] ≤ pods of t arrived, and for each shape with N
/// nodes of G GPUs: CPU and memory ≤ N × the node's; for each dual feasible function f of a device (identity,
/// u_ε, Fekete–Schepers f_k) Σ f(share of t) x ≤ N·G; and for each dual feasible function h of a node
/// Σ h(t's fraction of the node's GPUs, CPU or memory) x ≤ N. A dual feasible function never sums above 1 over
/// things that fit in 1, so every constraint holds per device (or node) and so for the sum over them.
/// </remarks>
public sealed class PackingBound : IDisposable
{
    private readonly Solver _solver;
    private readonly Dictionary<PodType, Constraint> _available = [];
    private readonly Dictionary<PodType, int> _counts = [];
    private readonly Dictionary<PodType, List<Variable>> _placements = [];
    private Dictionary<PodType, Variable> _lastFloor = [];

    /// <summary>The pod type the bound distinguishes (all pods of one type are interchangeable).</summary>
    public readonly record struct PodType(long CpuMilli, long MemoryMib, int NumGpu, int GpuMilli, string Models)
    {
        public static PodType Of(TracePod pod) => new(pod.CpuMilli, pod.MemoryMib, pod.NumGpu, pod.GpuMilli,
            TargetWorkload.ModelKey(pod.GpuModels));

        /// <summary>The distinct types of <paramref name="pods"/>, in the order both bounds number them.</summary>
        public static PodType[] TypesOf(IEnumerable<TracePod> pods) => pods.Select(Of).Distinct()
            .OrderBy(t => t.NumGpu).ThenBy(t => t.GpuMilli).ThenBy(t => t.CpuMilli).ThenBy(t => t.MemoryMib).ThenBy(t => t.Models, StringComparer.Ordinal)
            .ToArray();

        public bool Whole => GpuMilli >= 1000;
        public long TotalGpuMilli => (long)NumGpu * GpuMilli;
    }

    /// <summary>A bound for the cluster <paramref name="nodes"/>, ready for pods of the types in <paramref name="universe"/>.</summary>
    public PackingBound(IReadOnlyList<TraceNode> nodes, IEnumerable<TracePod> universe)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(universe);
        _solver = Solver.CreateSolver("GLOP") ?? throw new InvalidOperationException("OR-Tools has no GLOP solver");
        var shapes = NodeShape.Of(nodes);
        // Pods without GPUs never add allocated GPU, so the bound alone places none of them; they are in the program
        // so that a bound holding what a policy placed holds their CPU and memory too.
        var types = PodType.TypesOf(universe);
        // Device-level u_ε: one per share above half a device, so each such share counts a whole device unless
        // something smaller than ε = 1001 − share shares it (then that something counts nothing).
        var epsilons = types.Where(t => !t.Whole && t.GpuMilli > 500).Select(t => 1001 - t.GpuMilli).Distinct().Order().ToArray();

        var objective = _solver.Objective();
        objective.SetMaximization();
        foreach (var type in types)
        {
            _available[type] = _solver.MakeConstraint(0, 0, $"available {type}");
            _counts[type] = 0;
            _placements[type] = [];
        }
        for (var s = 0; s < shapes.Length; s++)
        {
            var shape = shapes[s];
            var placed = new List<(PodType Type, Variable X)>();
            foreach (var type in types)
            {
                if (!shape.Fits(type)) continue;
                var x = _solver.MakeNumVar(0, double.PositiveInfinity, $"x {type} on {shape}");
                objective.SetCoefficient(x, type.TotalGpuMilli);
                _available[type].SetCoefficient(x, 1);
                _placements[type].Add(x);
                placed.Add((type, x));
            }
            if (placed.Count == 0) continue;
            double n = shape.Count, devices = (double)shape.Count * shape.Gpus;
            Add(placed, n * shape.CpuMilli, t => t.CpuMilli);
            Add(placed, n * shape.MemoryMib, t => t.MemoryMib);
            // Per device, in milli of one device: whole GPUs take 1000 each whatever f is.
            Add(placed, devices * 1000, t => t.Whole ? t.NumGpu * 1000.0 : t.GpuMilli);
            foreach (var epsilon in epsilons)
                Add(placed, devices * 1000, t => t.Whole ? t.NumGpu * 1000.0 : UEpsilon(t.GpuMilli, epsilon));
            for (var k = 2; k <= 4; k++)
                Add(placed, devices * 1000, t => t.Whole ? t.NumGpu * 1000.0 : 1000 * FeketeSchepers(t.GpuMilli, 1000, k));
            // Per node: the fraction of its GPUs, CPU and memory one pod takes.
            for (var k = 1; k <= 3; k++)
            {
                Add(placed, n, t => FeketeSchepers(t.Whole ? t.NumGpu * 1000L : t.GpuMilli, shape.Gpus * 1000L, k));
                Add(placed, n, t => FeketeSchepers(t.CpuMilli, shape.CpuMilli, k));
                Add(placed, n, t => FeketeSchepers(t.MemoryMib, shape.MemoryMib, k));
            }
        }
    }

    private void Add(List<(PodType Type, Variable X)> placed, double capacity, Func<PodType, double> weight)
    {
        var constraint = _solver.MakeConstraint(double.NegativeInfinity, capacity);
        foreach (var (type, x) in placed) constraint.SetCoefficient(x, weight(type));
    }

    /// <summary>u_ε (Martello–Toth) on a device of 1000 milli, ε ≤ 500: a share over 1000 − ε counts the whole
    /// device (nothing of ε or more fits beside it), one under ε counts nothing, others themselves.</summary>
    public static double UEpsilon(int milli, int epsilon) => milli > 1000 - epsilon ? 1000 : milli >= epsilon ? milli : 0;

    /// <summary>Fekete–Schepers f_k(a/b): a/b when (k+1)·a/b is whole, else ⌊(k+1)·a/b⌋ / k (in [0, 1]).</summary>
    public static double FeketeSchepers(long a, long b, int k)
    {
        if (b <= 0) return 0;
        var scaled = (k + 1) * a;
        return scaled % b == 0 ? (double)a / b : (double)(scaled / b) / k;
    }

    /// <summary>Another pod of this kind has arrived (it must be of a type of the universe given at construction).</summary>
    public void Arrive(TracePod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var type = PodType.Of(pod);
        if (!_available.TryGetValue(type, out var constraint))
            throw new ArgumentException($"pod {pod.Name} is of a type the bound was not built for", nameof(pod));
        var count = ++_counts[type];
        constraint.SetUb(count);
    }

    /// <summary>From now on, only placements holding at least <paramref name="count"/> pods of the type count (a lower
    /// bound on Σ_s x[t, s]); the type must be of the universe and <paramref name="count"/> at most those arrived.</summary>
    public void Hold(PodType type, int count)
    {
        if (!_available.TryGetValue(type, out var constraint))
            throw new ArgumentException($"type {type} is not of the universe the bound was built for", nameof(type));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _counts[type]);
        constraint.SetLb(count);
    }

    /// <summary>From now on, only placements that grew out of one which, now, held at least
    /// <paramref name="allocatedGpuMilli"/> of the pods arrived so far count: y[t] ≤ arrived now, Σ GPU(t)·y[t] ≥ the
    /// floor, y[t] ≤ Σ_s x[t, s] later, and each floor's y within the next one's. Nothing departs and nothing moves,
    /// so every policy's placements after this moment contain its placement now: if that held the floor, the policy's
    /// later placements are feasible here.</summary>
    public void Floor(long allocatedGpuMilli)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(allocatedGpuMilli);
        var floor = _solver.MakeConstraint(allocatedGpuMilli, double.PositiveInfinity, "floor");
        var current = new Dictionary<PodType, Variable>();
        foreach (var (type, count) in _counts)
        {
            if (count == 0 || _placements[type].Count == 0) continue;
            var y = _solver.MakeNumVar(0, count, $"held at floor {type}");
            floor.SetCoefficient(y, type.TotalGpuMilli);
            var within = _solver.MakeConstraint(0, double.PositiveInfinity, $"within {type}");
            foreach (var x in _placements[type]) within.SetCoefficient(x, 1);
            within.SetCoefficient(y, -1);
            if (_lastFloor.TryGetValue(type, out var earlier))
            {
                var grows = _solver.MakeConstraint(0, double.PositiveInfinity, $"grows {type}");
                grows.SetCoefficient(y, 1);
                grows.SetCoefficient(earlier, -1);
            }
            current[type] = y;
        }
        _lastFloor = current;
    }

    /// <summary>The most GPU milli any placement of any subset of the arrived pods can hold (rounded up, with a
    /// margin over the solver's tolerance, so it stays an upper bound).</summary>
    public long MaxAllocatedGpuMilli()
    {
        var status = _solver.Solve();
        if (status != Solver.ResultStatus.OPTIMAL)
            throw new InvalidOperationException($"the packing bound's linear program ended {status}");
        var value = _solver.Objective().Value();
        return (long)Math.Ceiling(value * (1 + 1e-7) + 1);
    }

    /// <summary>The bound as a replay: the arrivals of <paramref name="offered"/> with, at every event some arrival
    /// point's figure averages, the most GPU any placement could hold then (other events: 0, never read).</summary>
    /// <remarks>With <paramref name="holding"/> (a policy's replay of the same arrivals) only placements that hold at
    /// least as many pods of each type <paramref name="held"/> selects as that replay held at the event count: the
    /// result bounds every placement that keeps what the policy accepted of those types, the policy's own included.</remarks>
    public static ReplayRun Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> offered, int seed, IEnumerable<int> points,
        ReplayRun? holding = null, Func<PodType, bool>? held = null, IReadOnlyDictionary<int, double>? asGoodAs = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(offered);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var events = ReplayMetrics.ArrivalsOnly(offered);
        var needed = new HashSet<int>(points.SelectMany(p => ReplayMetrics.EventsAt(events, capacity, p)));

        if (holding is not null && holding.Events.Count != offered.Count)
            throw new ArgumentException("the run held must replay the same arrivals", nameof(holding));
        var floors = new Dictionary<int, long>();
        foreach (var (point, figure) in asGoodAs ?? new Dictionary<int, double>())
            if (ReplayMetrics.EventsAt(events, capacity, point) is { Count: > 0 } window)
                floors[window[^1]] = Math.Max(0, (long)Math.Floor((100 - figure - 0.01) / 100 * capacity));
        var placed = new Dictionary<PodType, int>();
        var clock = Stopwatch.StartNew();
        using var bound = new PackingBound(nodes, offered);
        for (var i = 0; i < offered.Count; i++)
        {
            bound.Arrive(offered[i]);
            if (holding is not null && holding.Events[i].Placed
                && PodType.Of(offered[i]) is var type && (held?.Invoke(type) ?? true))
                bound.Hold(type, placed[type] = placed.GetValueOrDefault(type) + 1);
            if (needed.Contains(i))
                events[i] = events[i] with { AllocatedGpuMilli = Math.Min(events[i].ArrivedGpuMilli, bound.MaxAllocatedGpuMilli()) };
            if (floors.TryGetValue(i, out var floor)) bound.Floor(floor);
        }
        return new ReplayRun(holding is null ? "bound" : $"bound-holding-{holding.Policy}", seed, capacity, events, 0, clock.Elapsed);
    }

    public void Dispose() => _solver.Dispose();
}
