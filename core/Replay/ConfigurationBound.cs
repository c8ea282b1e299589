using System.Diagnostics;
using System.Globalization;
using Google.OrTools.Sat;
using LinearSolver = Google.OrTools.LinearSolver;

namespace Granary.Scheduling.Replay;

/// <summary>
/// A tighter upper bound on the GPU milli any placement of any subset of the arrived pods can hold than
/// <see cref="PackingBound"/>'s: the configuration linear program (Gilmore–Gomory), whose columns are packings of one
/// whole node, generated as they are needed by an exact packing of one node (CP-SAT). Where the packing bound pools a
/// shape's CPU over its nodes and sees a device only through dual feasible functions, a column is a real node.
/// </summary>
/// <remarks>
/// Every value reported is a Lagrangian bound, so it holds whether or not the generation converged: for any prices
/// π_t ≥ 0 on the pod types, a placement holds Σ_t GPU(t)·placed_t = Σ_t π_t·placed_t + Σ_nodes Σ_(its pods) (GPU(t) − π_t)
/// ≤ Σ_t π_t·arrived_t + Σ_shapes N_s·max(0, P_s(π)), P_s(π) being the most one empty node of shape s can hold at
/// those prices. CP-SAT's proven bound on P_s, with prices rounded up, stands in for P_s. The prices are the duals of
/// the master LP over the node packings found so far; the least bound over the rounds is kept.
/// </remarks>
public sealed class ConfigurationBound : IDisposable
{
    private const int Scale = 16;             // CP-SAT needs integer prices: 1/16 milli
    private const double Tolerance = 0.5;     // milli: the generation stops when bound and master are this close

    private readonly NodeShape[] _shapes;
    private readonly PackingBound.PodType[] _types;
    private readonly Dictionary<PackingBound.PodType, int> _index = [];
    private readonly int[] _arrived;
    private readonly int[] _held;
    private readonly LinearSolver.Solver _master;
    private readonly LinearSolver.Constraint[] _typeRows;
    private readonly LinearSolver.Constraint[] _shapeRows;
    private readonly HashSet<string> _columns = new(StringComparer.Ordinal);
    private readonly List<(LinearSolver.Variable Nodes, int[] Counts, int Shape)> _packings = [];
    private readonly double _pricingSeconds;

    /// <summary>A bound for the cluster <paramref name="nodes"/>, ready for pods of the types in
    /// <paramref name="universe"/>; each node packing may take CP-SAT up to <paramref name="pricingSeconds"/> of
    /// deterministic time (its proven bound stands when it stops early).</summary>
    public ConfigurationBound(IReadOnlyList<TraceNode> nodes, IEnumerable<TracePod> universe, double pricingSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(universe);
        _pricingSeconds = pricingSeconds;
        // Pods without GPUs hold no GPU and nodes without GPUs hold no GPU pods: leaving both out only relaxes.
        _shapes = NodeShape.Of(nodes.Where(n => n.Gpus > 0));
        _types = PackingBound.PodType.TypesOf(universe.Where(p => p.TotalGpuMilli > 0));
        if (_types.Any(t => !t.Whole && t.NumGpu > 1))
            throw new ArgumentException("a share of several devices (num_gpu > 1 below 1000 milli) is not modelled", nameof(universe));
        for (var t = 0; t < _types.Length; t++) _index[_types[t]] = t;
        _arrived = new int[_types.Length];
        _held = new int[_types.Length];

        _master = LinearSolver.Solver.CreateSolver("GLOP") ?? throw new InvalidOperationException("OR-Tools has no GLOP solver");
        _master.Objective().SetMaximization();
        _typeRows = _types.Select(t => _master.MakeConstraint(0, 0, $"available {t}")).ToArray();
        _shapeRows = _shapes.Select(s => _master.MakeConstraint(0, s.Count, $"nodes {s}")).ToArray();
    }

    /// <summary>Another pod of this kind has arrived (it must be of a type of the universe given at construction).</summary>
    public void Arrive(TracePod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.TotalGpuMilli <= 0) return;
        if (!_index.TryGetValue(PackingBound.PodType.Of(pod), out var t))
            throw new ArgumentException($"pod {pod.Name} is of a type the bound was not built for", nameof(pod));
        _typeRows[t].SetUb(++_arrived[t]);
    }

    /// <summary>From now on, only placements holding at least <paramref name="count"/> pods of the type count (at most
    /// those arrived). The master program gets a penalised artificial column for the type, so it stays feasible
    /// before the generation finds node packings that hold them; the bound's prices may then be negative.</summary>
    public void Hold(PackingBound.PodType type, int count)
    {
        if (!_index.TryGetValue(type, out var t))
            throw new ArgumentException($"type {type} is not of the universe the bound was built for", nameof(type));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _arrived[t]);
        if (_held[t] == 0 && count > 0)
        {
            var artificial = _master.MakeNumVar(0, double.PositiveInfinity, $"artificial {type}");
            _typeRows[t].SetCoefficient(artificial, 1);
            _master.Objective().SetCoefficient(artificial, -Penalty);
        }
        _typeRows[t].SetLb(_held[t] = count);
    }

    private const double Penalty = 1e5;       // GPU milli per artificial pod: more than any pod holds

    /// <summary>The most GPU milli any placement of any subset of the arrived pods can hold (rounded up, with a margin
    /// over the solvers' tolerances, so it stays an upper bound).</summary>
    public long MaxAllocatedGpuMilli(int maxRounds = 500)
    {
        double arrivedGpu = 0;
        for (var t = 0; t < _types.Length; t++) arrivedGpu += (double)_arrived[t] * _types[t].TotalGpuMilli;
        var best = arrivedGpu;
        for (var round = 0; round < maxRounds; round++)
        {
            SolveMaster();
            var master = _master.Objective().Value();
            var prices = new double[_types.Length];
            double lagrangian = 0;
            for (var t = 0; t < _types.Length; t++)
            {
                // Σ_t π_t·placed_t ≤ π_t·arrived_t for π_t ≥ 0, π_t·held_t for π_t < 0 (a held type's lower bound binds).
                prices[t] = _held[t] > 0 ? _typeRows[t].DualValue() : Math.Max(0, _typeRows[t].DualValue());
                lagrangian += prices[t] * (prices[t] >= 0 ? _arrived[t] : _held[t]);
            }
            // All duals are read before a column is added: adding one changes the model and voids them.
            var nodePrices = _shapeRows.Select(r => Math.Max(0, r.DualValue())).ToArray();
            var added = false;
            for (var s = 0; s < _shapes.Length; s++)
            {
                var (counts, value, upper) = Price(_shapes[s], prices);
                lagrangian += _shapes[s].Count * Math.Max(0, upper);
                if (counts is not null && value - nodePrices[s] > 1e-6) added |= AddColumn(s, counts);
            }
            best = Math.Min(best, lagrangian);
            if (!added || best - master <= Tolerance) break;
        }
        return (long)Math.Ceiling(best * (1 + 1e-7) + 1);
    }

    /// <summary>A pod type, how many of it arrived, and how many the master program's packing holds (fractional).</summary>
    public readonly record struct TypePlacement(PackingBound.PodType Type, int Arrived, double Placed);

    /// <summary>Per pod type, what the master program over the node packings found so far holds: after
    /// <see cref="MaxAllocatedGpuMilli"/>, the fractional optimum the bound was read beside (equal to it when the
    /// generation converged). Which pods the best packing leaves out says what a policy would have to refuse.</summary>
    public IReadOnlyList<TypePlacement> Placements()
    {
        var placed = new double[_types.Length];
        foreach (var packing in Packings())
            for (var t = 0; t < _types.Length; t++) placed[t] += packing.Counts[t] * packing.Nodes;
        return _types.Select((type, t) => new TypePlacement(type, _arrived[t], placed[t])).ToArray();
    }

    /// <summary>The pod types, in the order of <see cref="NodePacking.Counts"/>.</summary>
    public IReadOnlyList<PackingBound.PodType> Types => _types;

    /// <summary>A packing of one node of <paramref name="Shape"/> (pods per type, in the order of <see cref="Types"/>)
    /// and on how many such nodes the master program's solution uses it (fractional).</summary>
    public sealed record NodePacking(NodeShape Shape, IReadOnlyList<int> Counts, double Nodes);

    /// <summary>The packings the master program's solution uses (on more than no node): after
    /// <see cref="MaxAllocatedGpuMilli"/>, a fractional plan of which node holds what that reaches the bound's
    /// master value — what a policy tracking the best packing would follow.</summary>
    public IReadOnlyList<NodePacking> Packings()
    {
        SolveMaster();
        return _packings.Where(p => p.Nodes.SolutionValue() > 1e-9)
            .Select(p => new NodePacking(_shapes[p.Shape], p.Counts, p.Nodes.SolutionValue())).ToArray();
    }

    private void SolveMaster()
    {
        var status = _master.Solve();
        if (status == LinearSolver.Solver.ResultStatus.ABNORMAL)
        {
            // GLOP warm-starts from the last round's basis, and on some masters that start ends ABNORMAL (numerical
            // trouble); solved from scratch the same program is optimal.
            _master.Reset();
            status = _master.Solve();
        }
        if (status != LinearSolver.Solver.ResultStatus.OPTIMAL)
            throw new InvalidOperationException($"the configuration bound's master program ended {status}");
    }

    /// <summary>The best packing of one empty node of the shape at the prices: its pod counts per type (null when
    /// CP-SAT found none), its value, and a proven upper bound on the best value.</summary>
    private (int[]? Counts, double Value, double Upper) Price(NodeShape shape, double[] prices)
    {
        var candidates = Enumerable.Range(0, _types.Length)
            .Where(t => _arrived[t] > 0 && shape.Fits(_types[t]) && _types[t].TotalGpuMilli - prices[t] > 1e-9).ToArray();
        if (candidates.Length == 0) return (new int[_types.Length], 0, 0);

        var model = new CpModel();
        var gpus = shape.Gpus;
        var whole = model.NewIntVar(0, gpus, "whole devices");
        var wholeDevices = LinearExpr.NewBuilder();
        var cpu = LinearExpr.NewBuilder();
        var memory = LinearExpr.NewBuilder();
        var objective = LinearExpr.NewBuilder();
        var loads = Enumerable.Range(0, gpus).Select(_ => LinearExpr.NewBuilder()).ToArray();
        var taken = Enumerable.Range(0, gpus).Select(d => model.NewBoolVar($"device {d} whole")).ToArray();
        var counts = new Dictionary<int, IntVar[]>();
        foreach (var t in candidates)
        {
            var type = _types[t];
            var weight = (long)Math.Ceiling((type.TotalGpuMilli - prices[t]) * Scale);
            if (type.Whole)
            {
                var n = model.NewIntVar(0, Math.Min(_arrived[t], gpus / type.NumGpu), $"n {t}");
                counts[t] = [n];
                wholeDevices.AddTerm(n, type.NumGpu);
                cpu.AddTerm(n, type.CpuMilli);
                memory.AddTerm(n, type.MemoryMib);
                objective.AddTerm(n, weight);
            }
            else
            {
                var perDevice = Math.Min(_arrived[t], 1000 / type.GpuMilli);
                var z = Enumerable.Range(0, gpus).Select(d => model.NewIntVar(0, perDevice, $"z {t} {d}")).ToArray();
                counts[t] = z;
                model.Add(LinearExpr.Sum(z) <= _arrived[t]);
                for (var d = 0; d < gpus; d++)
                {
                    loads[d].AddTerm(z[d], type.GpuMilli);
                    cpu.AddTerm(z[d], type.CpuMilli);
                    memory.AddTerm(z[d], type.MemoryMib);
                    objective.AddTerm(z[d], weight);
                }
            }
        }
        model.Add(whole == wholeDevices);
        model.Add(LinearExpr.Sum(taken) == whole);
        for (var d = 0; d < gpus; d++)
        {
            // A device taken whole holds no share; devices are alike, so whole ones come last and loads fall.
            model.Add(loads[d] + 1000 * (LinearExpr)taken[d] <= 1000);
            if (d + 1 < gpus)
            {
                model.Add((LinearExpr)taken[d] <= taken[d + 1]);
                model.Add(loads[d] >= loads[d + 1]);
            }
        }
        model.Add(cpu <= shape.CpuMilli);
        model.Add(memory <= shape.MemoryMib);
        model.Maximize(objective);

        var solver = new CpSolver
        {
            StringParameters = string.Create(CultureInfo.InvariantCulture, $"num_workers:1 max_deterministic_time:{_pricingSeconds}"),
        };
        var status = solver.Solve(model);
        var upper = solver.BestObjectiveBound / Scale;
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible)) return (null, 0, upper);
        var result = new int[_types.Length];
        double value = 0;
        foreach (var (t, vars) in counts)
        {
            result[t] = (int)vars.Sum(v => solver.Value(v));
            value += result[t] * (_types[t].TotalGpuMilli - prices[t]);
        }
        return (result, value, upper);
    }

    private bool AddColumn(int s, int[] counts)
    {
        var key = $"{s}:{string.Join(',', counts)}";
        if (!_columns.Add(key)) return false;
        var y = _master.MakeNumVar(0, double.PositiveInfinity, $"y {key}");
        double gpu = 0;
        for (var t = 0; t < counts.Length; t++)
        {
            if (counts[t] == 0) continue;
            _typeRows[t].SetCoefficient(y, counts[t]);
            gpu += (double)counts[t] * _types[t].TotalGpuMilli;
        }
        _shapeRows[s].SetCoefficient(y, 1);
        _master.Objective().SetCoefficient(y, gpu);
        _packings.Add((y, counts, s));
        return true;
    }

    /// <summary>The bound as a replay at <paramref name="points"/>: every event a point's figure averages gets the
    /// least of this bound and <see cref="PackingBound"/>'s at the last of those events (other events: 0, never read).</summary>
    /// <remarks>One evaluation per point, as each takes minutes on the shared trace. It holds for the earlier events
    /// too: a placement of pods that arrived by an earlier event is one of pods that arrived by the last.</remarks>
    public static ReplayRun Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> offered, int seed, IEnumerable<int> points,
        ReplayRun? holding = null, Func<PackingBound.PodType, bool>? held = null, double pricingSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(offered);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var events = ReplayMetrics.ArrivalsOnly(offered);
        var windows = points.Select(p => ReplayMetrics.EventsAt(events, capacity, p)).Where(w => w.Count > 0)
            .OrderBy(w => w[^1]).ToArray();

        if (holding is not null && holding.Events.Count != offered.Count)
            throw new ArgumentException("the run held must replay the same arrivals", nameof(holding));
        var clock = Stopwatch.StartNew();
        using var packing = new PackingBound(nodes, offered);
        using var bound = new ConfigurationBound(nodes, offered, pricingSeconds);
        var placed = new Dictionary<PackingBound.PodType, int>();
        var next = 0;
        foreach (var window in windows)
        {
            for (; next <= window[^1]; next++)
            {
                packing.Arrive(offered[next]);
                bound.Arrive(offered[next]);
                if (holding is not null && holding.Events[next].Placed && offered[next].TotalGpuMilli > 0
                    && PackingBound.PodType.Of(offered[next]) is var type && (held?.Invoke(type) ?? true))
                {
                    placed[type] = placed.GetValueOrDefault(type) + 1;
                    packing.Hold(type, placed[type]);
                    bound.Hold(type, placed[type]);
                }
            }
            // Held, the bound is read at the window's last event only: what the policy held by then is held for all.
            var most = Math.Min(packing.MaxAllocatedGpuMilli(), bound.MaxAllocatedGpuMilli());
            foreach (var i in window) events[i] = events[i] with { AllocatedGpuMilli = Math.Min(events[i].ArrivedGpuMilli, most) };
        }
        var name = holding is null ? "bound-configurations" : $"bound-configurations-holding-{holding.Policy}";
        return new ReplayRun(name, seed, capacity, events, 0, clock.Elapsed);
    }

    /// <summary>What the best packing holds of each pod type once the pods up to the last event of the
    /// <paramref name="point"/> % window have arrived (<see cref="Placements"/>); empty when no event is in the window.</summary>
    public static IReadOnlyList<TypePlacement> PlacementsAt(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> offered, int point,
        double pricingSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(offered);
        var window = ReplayMetrics.EventsAt(ReplayMetrics.ArrivalsOnly(offered), nodes.Sum(n => (long)n.Gpus * 1000), point);
        if (window.Count == 0) return [];
        using var bound = new ConfigurationBound(nodes, offered, pricingSeconds);
        for (var i = 0; i <= window[^1]; i++) bound.Arrive(offered[i]);
        bound.MaxAllocatedGpuMilli();
        return bound.Placements();
    }

    public void Dispose() => _master.Dispose();
}
