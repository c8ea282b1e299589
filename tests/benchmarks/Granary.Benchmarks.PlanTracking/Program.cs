using System.Diagnostics;
using System.Globalization;
using Granary.Scheduling;
using Granary.Scheduling.Replay;

// Usage: --nodes NODES.csv --pods PODS.csv [--seeds 42,43] [--hold 0,0.06,1] [--plan-seed S [--plan-file F]]
// Per seed: plans from another draw of the same mix (seed + 1000, up to the 100 % point; with --plan-seed, one plan
// from draw S for every seed, as FGD has one target workload), then replays the seed's arrivals following the plan at
// each hold — by the tracker here and by the scheduler's plan policy — beside FGD and the default; unallocated GPU %
// at 95 and 100 % arrival. --plan-file keeps that one plan (read when the file exists, written when it does not).
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
if (!options.TryGetValue("--nodes", out var nodesPath) || !options.TryGetValue("--pods", out var podsPath))
{
    Console.Error.WriteLine("usage: --nodes NODES.csv --pods PODS.csv [--seeds 42,43] [--hold 0,0.06,1] [--plan-seed S [--plan-file F]]");
    return 2;
}
var seeds = options.GetValueOrDefault("--seeds", "42").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var holds = options.GetValueOrDefault("--hold", "0,0.06,1").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var nodes = TraceCsv.ReadNodes(nodesPath);
var pods = TraceCsv.ReadPods(podsPath);
var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
var target = TargetWorkload.FromRequests(pods.Select(p => p.ToRequest()));
int[] points = [95, 100];
var figures = new Dictionary<string, List<IReadOnlyDictionary<int, double>>>();

var planFile = options.GetValueOrDefault("--plan-file");
var fixedPlan = !options.TryGetValue("--plan-seed", out var planSeed) ? null
    : planFile is not null && File.Exists(planFile) ? MixPlan.FromJson(File.ReadAllText(planFile))
    : Solve(int.Parse(planSeed, CultureInfo.InvariantCulture));
if (fixedPlan is not null && planFile is not null && !File.Exists(planFile)) File.WriteAllText(planFile, fixedPlan.ToJson());
foreach (var seed in seeds)
{
    var offered = ReplayWorkload.ForSeed(pods, capacity, seed);
    var plan = fixedPlan ?? Solve(seed + 1000);
    var tracker = new Granary.Benchmarks.PlanTracking.PlanTracker(nodes, plan.Packings, plan.Types, seed);
    foreach (var hold in holds)
        Report(string.Create(CultureInfo.InvariantCulture, $"plan, hold {hold}"), seed, tracker.Replay(offered, hold));
    var following = plan.Assign(TraceReplay.BuildCluster(nodes, seed));
    foreach (var hold in holds)
    {
        var run = TraceReplay.Run(nodes, offered, PlacementPolicy.Following(following, hold), seed);
        Report(string.Create(CultureInfo.InvariantCulture, $"policy plan, hold {hold}"), seed, run.Events);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed} policy plan, hold {hold}: {run.PodsPerSecond:F0} pods/s"));
    }
    foreach (var policy in new[] { "fgd", PlacementPolicy.DefaultName })
        Report(policy, seed, TraceReplay.Run(nodes, offered, PlacementPolicy.Create(policy, target, seed, splitShares: false), seed).Events);
}
foreach (var (name, runs) in figures)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mean {name}: 95 % {runs.Average(r => r[95]):F2}, 100 % {runs.Average(r => r[100]):F2} ± {Std(runs.Select(r => r[100]).ToList()):F2} [{string.Join(' ', runs.Select(r => r[100].ToString("F2", CultureInfo.InvariantCulture)))}]"));
return 0;

MixPlan Solve(int drawSeed)
{
    var clock = Stopwatch.StartNew();
    var plan = MixPlan.Solve(nodes, pods, drawSeed);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"plan from draw {drawSeed}: {plan.Packings.Count} packings in {clock.Elapsed.TotalSeconds:F0} s"));
    return plan;
}

void Report(string name, int seed, IReadOnlyList<ReplayEvent> events)
{
    var at = ReplayMetrics.UnallocatedAt(events, capacity, points);
    (figures.TryGetValue(name, out var runs) ? runs : figures[name] = []).Add(at);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed} {name}: 95 % {at[95]:F2}, 100 % {at[100]:F2}"));
}

static double Std(IReadOnlyList<double> values) =>
    values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => Math.Pow(v - values.Average(), 2)) / (values.Count - 1));
