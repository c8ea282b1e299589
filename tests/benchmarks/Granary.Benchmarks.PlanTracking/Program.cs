using System.Diagnostics;
using System.Globalization;
using Granary.Scheduling;
using Granary.Scheduling.Replay;

// Usage: --nodes NODES.csv --pods PODS.csv [--seeds 42,43] [--hold 0,0.06,1]
// Per seed: plans from another draw of the same mix (seed + 1000, up to the 100 % point), then replays the seed's
// arrivals following the plan at each hold, beside FGD and the default; unallocated GPU % at 95 and 100 % arrival.
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
if (!options.TryGetValue("--nodes", out var nodesPath) || !options.TryGetValue("--pods", out var podsPath))
{
    Console.Error.WriteLine("usage: --nodes NODES.csv --pods PODS.csv [--seeds 42,43] [--hold 0,0.06,1]");
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

foreach (var seed in seeds)
{
    var offered = ReplayWorkload.ForSeed(pods, capacity, seed);
    var sample = ReplayWorkload.ForSeed(pods, capacity, seed + 1000);
    var planned = sample.Take(ReplayMetrics.EventsAt(ReplayMetrics.ArrivalsOnly(sample), capacity, 100)[^1] + 1).ToArray();
    var clock = Stopwatch.StartNew();
    using var bound = new ConfigurationBound(nodes, offered.Concat(planned));
    foreach (var pod in planned) bound.Arrive(pod);
    bound.MaxAllocatedGpuMilli();
    var plan = bound.Packings();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: plan of {plan.Count} packings in {clock.Elapsed.TotalSeconds:F0} s"));
    var tracker = new Granary.Benchmarks.PlanTracking.PlanTracker(nodes, plan, bound.Types, seed);
    foreach (var hold in holds)
        Report(string.Create(CultureInfo.InvariantCulture, $"plan, hold {hold}"), seed, tracker.Replay(offered, hold));
    foreach (var policy in new[] { "fgd", PlacementPolicy.DefaultName })
        Report(policy, seed, TraceReplay.Run(nodes, offered, PlacementPolicy.Create(policy, target, seed, splitShares: false), seed).Events);
}
foreach (var (name, runs) in figures)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mean {name}: 95 % {runs.Average(r => r[95]):F2}, 100 % {runs.Average(r => r[100]):F2} [{string.Join(' ', runs.Select(r => r[100].ToString("F2", CultureInfo.InvariantCulture)))}]"));
return 0;

void Report(string name, int seed, IReadOnlyList<ReplayEvent> events)
{
    var at = ReplayMetrics.UnallocatedAt(events, capacity, points);
    (figures.TryGetValue(name, out var runs) ? runs : figures[name] = []).Add(at);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed} {name}: 95 % {at[95]:F2}, 100 % {at[100]:F2}"));
}
