using System.Globalization;
using System.Text;
using System.Text.Json;
using Granary.Scheduling;
using Granary.Scheduling.Replay;

namespace Granary.Silo.Replay;

/// <summary>
/// <c>granary-silo replay --nodes NODES.csv --pods PODS.csv [--policy NAME|all|a,b] [--seeds 42-51] [--json]</c>:
/// replays a GPU cluster trace (the FGD paper's format) through the scheduler and prints, per policy, the
/// unallocated GPU % at 90–130 % arrived workload (mean and std over the seeds) and pods/s of decision time.
/// </summary>
public static class ReplayCommand
{
    public const string Usage =
        "usage: granary-silo replay --nodes NODES.csv --pods PODS.csv [--policy NAME|all|NAME,NAME] [--seeds 42-51|42,43] [--variant gpushare60|multigpu30|gpuspec25|cpuheavy40 [--variant-seed 1]] [--bound [--holding POLICY [--hold large|all]] [--as-good-as POLICY]] [--configuration-bound] [--left-out] [--follow-plan 0,0.1 [--plan-seed 1000] [--plan-file F] [--trial]] [--time [--compress K] [--queue fifo] [--max-skips 16] [--replan SECONDS]] [--json]\n" +
        "  --time: pods arrive at creation_time, run until deletion_time, wait in the queue when they do not fit;\n" +
        "          --compress K divides creation times by K (run times kept), so K times the load arrives\n" +
        "  --variant: replay a workload derived from the pods with that ratio (docs/scheduling.md, WorkloadVariant)\n" +
        "  --bound: also the packing bound, the least GPU % any placement could leave unallocated (docs/scheduling.md)\n" +
        "  --holding POLICY: also the bound for placements keeping the shares over half a GPU that POLICY placed\n" +
        "  --hold all: keeping every GPU pod POLICY placed instead\n" +
        "  --as-good-as POLICY: also the bound for policies leaving no more than POLICY at every earlier arrival point\n" +
        "  --configuration-bound: also the tighter bound of whole-node packings at 100 % (minutes per seed), and with\n" +
        "          --holding that bound keeping what POLICY placed\n" +
        "  --left-out: also, per seed, the pods the configuration bound's best packing at 100 % leaves out\n" +
        "  --follow-plan HOLDS: also the policy following the configuration LP's plan for another draw of the mix\n" +
        "          (--plan-seed, default 1000; minutes to solve), at each hold: the part of the GPUs kept whole\n" +
        "          for the plan's whole-GPU slots; --plan-file F keeps the plan (read if F exists, else written)\n" +
        "  --trial: also, at each hold, the planner's trial: the plan and fgd-adaptive place the plan's draw, and\n" +
        "          the seeds replay the one that held more of the GPUs (plan-hold-HOLD-tried)\n" +
        "  --replan SECONDS: with --time, also each hold re-planning as the grains' planner does, from the mix it\n" +
        "          observes every SECONDS of trace time (plan-hold-HOLD-replan-SECONDSs)\n" +
        "policies: ";

    public static Task<int> RunAsync(string[] args) => Task.FromResult(Run(args, Console.Out, Console.Error));

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? nodesPath = null, podsPath = null, policyArg = null, seedsArg = null, variant = null;
        var variantSeed = 1;
        var json = false;
        var withBound = false;
        string? holding = null, asGoodAs = null;
        var held = HeldPods.LargeShares;
        var byConfigurations = false;
        var leftOut = false;
        var timed = false;
        var compress = 1.0;
        var queueOrder = "fifo";
        var maxSkips = 16;
        IReadOnlyList<double>? followHolds = null;
        var planSeed = 1000;
        string? planFile = null;
        var trial = false;
        TimeSpan? replan = null;
        var rest = args.SkipWhile(a => a.Equals("replay", StringComparison.OrdinalIgnoreCase)).ToArray();
        for (var i = 0; i < rest.Length; i++)
        {
            string Value() => i + 1 < rest.Length ? rest[++i] : throw new ArgumentException($"{rest[i]} needs a value");
            try
            {
                switch (rest[i])
                {
                    case "--nodes": nodesPath = Value(); break;
                    case "--pods": podsPath = Value(); break;
                    case "--policy": policyArg = Value(); break;
                    case "--seeds": seedsArg = Value(); break;
                    case "--json": json = true; break;
                    case "--variant": variant = Value(); break;
                    case "--variant-seed":
                        variantSeed = int.TryParse(Value(), CultureInfo.InvariantCulture, out var vs)
                            ? vs : throw new ArgumentException($"--variant-seed: '{rest[i]}' is not a seed");
                        break;
                    case "--bound": withBound = true; break;
                    case "--configuration-bound": withBound = byConfigurations = true; break;
                    case "--left-out": leftOut = true; break;
                    case "--holding": holding = Value().ToLowerInvariant(); PlacementPolicy.Create(holding); break;
                    case "--as-good-as": asGoodAs = Value().ToLowerInvariant(); PlacementPolicy.Create(asGoodAs); break;
                    case "--hold":
                        held = Value().ToLowerInvariant() switch
                        {
                            "large" => HeldPods.LargeShares,
                            "all" => HeldPods.All,
                            _ => throw new ArgumentException($"--hold: '{rest[i]}' is not large or all"),
                        };
                        break;
                    case "--time": timed = true; break;
                    case "--compress":
                        compress = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) && factor >= 1
                            ? factor : throw new ArgumentException($"--compress: '{rest[i]}' is not a factor ≥ 1");
                        break;
                    case "--queue": queueOrder = Value().ToLowerInvariant(); QueueOrders.Resolve(queueOrder); break;
                    case "--max-skips":
                        maxSkips = int.TryParse(Value(), CultureInfo.InvariantCulture, out var skips) && skips >= 0
                            ? skips : throw new ArgumentException($"--max-skips: '{rest[i]}' is not a count");
                        break;
                    case "--follow-plan": followHolds = ParseHolds(Value()); break;
                    case "--plan-seed":
                        planSeed = int.TryParse(Value(), CultureInfo.InvariantCulture, out var ps)
                            ? ps : throw new ArgumentException($"--plan-seed: '{rest[i]}' is not a seed");
                        break;
                    case "--plan-file": planFile = Value(); break;
                    case "--trial": trial = true; break;
                    case "--replan":
                        replan = long.TryParse(Value(), CultureInfo.InvariantCulture, out var every) && every > 0
                            ? TimeSpan.FromSeconds(every) : throw new ArgumentException($"--replan: '{rest[i]}' is not a number of seconds > 0");
                        break;
                    case "-h" or "--help": output.WriteLine(Usage + string.Join(", ", PlacementPolicy.Names)); return 0;
                    default: throw new ArgumentException($"unknown argument '{rest[i]}'");
                }
            }
            catch (ArgumentException e)
            {
                return Fail(error, e.Message);
            }
        }
        if (nodesPath is null || podsPath is null) return Fail(error, "--nodes and --pods are required");
        if (asGoodAs is not null && !withBound) return Fail(error, "--as-good-as needs --bound");
        if (replan is not null && (!timed || followHolds is null)) return Fail(error, "--replan needs --time and --follow-plan");
        if (trial && (timed || followHolds is null)) return Fail(error, "--trial needs --follow-plan without --time (with --time, --replan tries each plan)");

        IReadOnlyList<string> policies;
        IReadOnlyList<int> seeds;
        try
        {
            policies = ParsePolicies(policyArg);
            seeds = ParseSeeds(seedsArg ?? "42-51");
        }
        catch (ArgumentException e)
        {
            return Fail(error, e.Message);
        }

        IReadOnlyList<TraceNode> nodes;
        IReadOnlyList<TracePod> pods;
        try
        {
            nodes = TraceCsv.ReadNodes(nodesPath);
            pods = TraceCsv.ReadPods(podsPath);
            if (variant is not null) pods = WorkloadVariant.Derive(pods, variant, variantSeed);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or ArgumentException)
        {
            return Fail(error, e.Message);
        }
        if (nodes.Sum(n => n.Gpus) == 0) return Fail(error, $"{nodesPath}: the nodes have no GPUs");
        MixPlan? plan = null;
        if (followHolds is not null)
        {
            try
            {
                plan = planFile is not null && File.Exists(planFile) ? MixPlan.FromJson(File.ReadAllText(planFile))
                    : MixPlan.Solve(nodes, pods, planSeed);
                if (planFile is not null && !File.Exists(planFile)) File.WriteAllText(planFile, plan.ToJson());
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or JsonException)
            {
                return Fail(error, $"--plan-file: {e.Message}");
            }
        }

        if (!json) output.WriteLine($"{nodes.Count} nodes, {nodes.Sum(n => n.Gpus)} GPUs; {pods.Count} pods; seeds {string.Join(",", seeds)}");
        if (!json && variant is not null) output.WriteLine($"variant {variant}: {WorkloadVariant.Ratios(pods)}");
        if (!json && !timed)
        {
            output.WriteLine("unallocated GPU % (mean ± std) at arrived workload % of GPU capacity");
            output.WriteLine("policy".PadRight(TimedReport.PolicyWidth) +
                string.Concat(ReplayMetrics.ArrivalPoints.Select(p => $"{p + "%",16}")) + $"{"pods/s",10}");
        }
        if (timed)
        {
            if (!pods.Any(p => p.CreationTime is not null && p.DeletionTime is not null))
                return Fail(error, $"{podsPath}: --time needs creation_time and deletion_time columns");
            if (compress != 1) pods = TimedReplay.Compress(pods, compress);
            if (!json) output.WriteLine(TimedReport.Header);
            foreach (var policy in policies)
            {
                var runs = ReplayBenchmark.RunTimed(nodes, pods, policy, seeds, queueOrder, maxSkips);
                output.WriteLine(json ? TimedReport.ToJson(policy, seeds, queueOrder, runs) : TimedReport.ToRow(policy, runs));
                output.Flush();
            }
            foreach (var hold in followHolds ?? [])
            {
                var runs = ReplayBenchmark.RunTimedFollowing(nodes, pods, plan!, hold, seeds, queueOrder, maxSkips);
                var name = ReplayBenchmark.FollowingName(hold);
                output.WriteLine(json ? TimedReport.ToJson(name, seeds, queueOrder, runs) : TimedReport.ToRow(name, runs));
                output.Flush();
            }
            foreach (var hold in replan is null ? [] : followHolds!)
            {
                var runs = ReplayBenchmark.RunTimedReplanning(nodes, pods, replan!.Value, hold, seeds,
                    (seed, failure) => error.WriteLine($"--replan: seed {seed}: a solve failed, the plan followed so far kept: {failure}"),
                    queueOrder, maxSkips,
                    (seed, solves, declined, kept) => error.WriteLine($"--replan: seed {seed}: {solves} plans solved, {declined} not followed (in trial the plan held no more than the default), {kept} kept the plan followed (the new one held no more)"));
                var name = ReplayBenchmark.ReplanningName(hold, replan.Value);
                output.WriteLine(json ? TimedReport.ToJson(name, seeds, queueOrder, runs) : TimedReport.ToRow(name, runs));
                output.Flush();
            }
            return 0;
        }

        ReplaySummary? bound = null;
        if (withBound)
        {
            bound = ReplayBenchmark.Bound(nodes, pods, seeds);
            output.WriteLine(json ? ToJson(bound, null) : ToRow(bound));
            output.Flush();
            if (byConfigurations)
            {
                var configurations = ReplayBenchmark.BoundByConfigurations(nodes, pods, seeds);
                output.WriteLine(json ? ToJson(configurations, null) : ToRow(configurations));
                output.Flush();
            }
            if (holding is not null)
            {
                var heldRun = ReplayBenchmark.Run(nodes, pods, holding, seeds);
                var keeping = ReplayBenchmark.BoundHolding(nodes, pods, seeds, heldRun, held);
                output.WriteLine(json ? ToJson(keeping, null) : ToRow(keeping));
                output.Flush();
                if (byConfigurations)
                {
                    var configurations = ReplayBenchmark.BoundByConfigurations(nodes, pods, seeds, heldRun, held);
                    output.WriteLine(json ? ToJson(configurations, null) : ToRow(configurations));
                    output.Flush();
                }
            }
            if (asGoodAs is not null)
            {
                var floored = ReplayBenchmark.BoundAsGoodAs(nodes, pods, seeds, ReplayBenchmark.Run(nodes, pods, asGoodAs, seeds));
                output.WriteLine(json ? ToJson(floored, null) : ToRow(floored));
                output.Flush();
            }
        }
        // The rows a trial's choice replays, kept so that --trial does not replay them again.
        ReplaySummary? byDefault = null;
        var following = new Dictionary<double, ReplaySummary>();
        foreach (var policy in policies)
        {
            var summary = ReplayBenchmark.Run(nodes, pods, policy, seeds);
            if (policy == PlacementPolicy.DefaultName) byDefault = summary;
            output.WriteLine(json ? ToJson(summary, bound) : ToRow(summary));
            output.Flush();
        }
        foreach (var hold in followHolds ?? [])
        {
            var summary = following[hold] = ReplayBenchmark.RunFollowing(nodes, pods, plan!, hold, seeds);
            output.WriteLine(json ? ToJson(summary, bound) : ToRow(summary));
            output.Flush();
        }
        foreach (var hold in trial ? followHolds! : [])
        {
            var choice = ReplayBenchmark.Try(nodes, pods, plan!, hold, planSeed);
            var chosen = choice.Follow ? following[hold] : byDefault ??= ReplayBenchmark.Run(nodes, pods, PlacementPolicy.DefaultName, seeds);
            var summary = chosen with { Policy = ReplayBenchmark.TriedName(hold) };
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--trial: hold {hold}: on draw {planSeed} the plan held {choice.PlanHeldGpuMilli} GPU milli, ") +
                string.Create(CultureInfo.InvariantCulture, $"{PlacementPolicy.DefaultName} {choice.DefaultHeldGpuMilli}: ") + (choice.Follow ? "the plan followed" : PlacementPolicy.DefaultName + " kept"));
            output.WriteLine(json ? ToJson(summary, bound) : ToRow(summary));
            output.Flush();
        }
        if (leftOut)
        {
            if (!json) output.WriteLine(LeftOutReport.Header);
            foreach (var (seed, placements) in ReplayBenchmark.PlacementsByConfigurations(nodes, pods, seeds))
                output.WriteLine(json ? LeftOutReport.ToJson(seed, placements) : LeftOutReport.ToRow(seed, placements));
            output.Flush();
        }
        return 0;
    }

    /// <summary>One summary as a JSON line; with a bound, its figures ride along as boundGpuPct.</summary>
    public static string ToJson(ReplaySummary summary, ReplaySummary? bound = null)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("policy", summary.Policy);
            writer.WriteStartArray("seeds");
            foreach (var seed in summary.Seeds) writer.WriteNumberValue(seed);
            writer.WriteEndArray();
            WriteMap(writer, "unallocatedGpuPct", summary.Mean);
            WriteMap(writer, "stdGpuPct", summary.Std);
            if (bound is not null) WriteMap(writer, "boundGpuPct", bound.Mean);
            writer.WriteNumber("podsPerSecond", Math.Round(summary.PodsPerSecond));
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void WriteMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<int, double> values)
        {
            writer.WriteStartObject(name);
            foreach (var (point, value) in values)
            {
                if (double.IsNaN(value)) writer.WriteNull(point.ToString(CultureInfo.InvariantCulture));
                else writer.WriteNumber(point.ToString(CultureInfo.InvariantCulture), Math.Round(value, 2));
            }
            writer.WriteEndObject();
        }
    }

    private static string ToRow(ReplaySummary s) =>
        s.Policy.PadRight(TimedReport.PolicyWidth) +
        string.Concat(ReplayMetrics.ArrivalPoints.Select(p =>
            string.Format(CultureInfo.InvariantCulture, "{0,16}", s.Mean.TryGetValue(p, out var mean) ? $"{mean:0.00} ± {s.Std[p]:0.00}" : "–"))) +
        string.Format(CultureInfo.InvariantCulture, "{0,10:0}", s.PodsPerSecond);

    public static IReadOnlyList<string> ParsePolicies(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [PlacementPolicy.DefaultName];
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return PlacementPolicy.Names;
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names) PlacementPolicy.Create(name); // throws ArgumentException for an unknown one
        return names.Select(n => n.ToLowerInvariant()).ToArray();
    }

    /// <summary>"0,0.1": parts of the GPUs in [0, 1].</summary>
    public static IReadOnlyList<double> ParseHolds(string text)
    {
        var holds = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            holds.Add(double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var hold) && hold is >= 0 and <= 1
                ? hold : throw new ArgumentException($"--follow-plan: '{part}' is not a part of the GPUs from 0 to 1"));
        return holds.Count > 0 ? holds : throw new ArgumentException("--follow-plan: no hold given");
    }

    /// <summary>"42-51" (inclusive range) or "42,43,50".</summary>
    public static IReadOnlyList<int> ParseSeeds(string text)
    {
        var seeds = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', 1);
            if (dash > 0 && int.TryParse(part[..dash], CultureInfo.InvariantCulture, out var from)
                && int.TryParse(part[(dash + 1)..], CultureInfo.InvariantCulture, out var to) && from <= to && to - from < 10_000)
                seeds.AddRange(Enumerable.Range(from, to - from + 1));
            else if (int.TryParse(part, CultureInfo.InvariantCulture, out var seed)) seeds.Add(seed);
            else throw new ArgumentException($"--seeds: '{part}' is not a seed or a range like 42-51");
        }
        if (seeds.Count == 0) throw new ArgumentException("--seeds: no seeds given");
        return seeds;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"replay: {message}");
        error.WriteLine(Usage + string.Join(", ", PlacementPolicy.Names));
        return 2;
    }
}
