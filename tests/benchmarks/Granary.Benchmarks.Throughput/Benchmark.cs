using Granary.Scheduling;

namespace Granary.Benchmarks.Throughput;

/// <summary>The two phases: throughput on one cluster (median of several runs), then the scheduler's decision
/// time per session on clusters of growing size.</summary>
public static class Benchmark
{
    public static async Task<ThroughputResult> Throughput(BenchmarkOptions options, SchedulerMeter meter)
    {
        Console.Error.WriteLine($"Starting a cluster with {options.Agents} simulated agents on {options.AgentSilos} agent silo(s)...");
        await using var cluster = await BenchmarkCluster.Start(options.Agents, options.AgentSilos, options.Policy, options.Replan);
        Console.Error.WriteLine($"  every agent in the scheduler's view after {cluster.RegistrationTime.TotalSeconds:F1} s");
        if (options.Warmup > 0)
        {
            var warmup = await ThroughputRun.Push(cluster, meter, options.Warmup, options.InFlight, options.SessionTimeout);
            Console.Error.WriteLine($"  warm-up: {warmup.Running} sessions, {warmup.SessionsPerSecond:F0}/s");
            if (CallProfile.Enabled)
            {
                BenchmarkCluster.Profile.Print();
            }
        }
        using var allocations = CallProfile.Enabled ? new AllocationProfile() : null;
        allocations?.Print(1);
        var runs = await Runs("run", rate: 0);
        var paced = options.Rate > 0 ? await Runs($"paced run at {options.Rate}/s", options.Rate) : [];
        if ((await cluster.Client.GetGrain<ISchedulerGrain>(BenchmarkCluster.Group).GetStatus()).Plan is { } plan)
        {
            Console.Error.WriteLine($"  planner: {plan}");
        }
        return new ThroughputResult(options.Agents, cluster.RegistrationTime.TotalSeconds, runs, paced);

        async Task<List<RunResult>> Runs(string label, int rate)
        {
            var results = new List<RunResult>();
            for (var run = 1; run <= options.Runs; run++)
            {
                var result = await ThroughputRun.Push(cluster, meter, options.Sessions, options.InFlight, options.SessionTimeout, rate);
                Console.Error.WriteLine($"  {label} {run}: {result.SessionsPerSecond:F0} sessions/s, p50 {result.P50Ms:F0} ms, p99 {result.P99Ms:F0} ms, failed {result.Failed}, {result.PlanPasses} planning passes"
                    + (result.FirstError is null ? "" : $" ({result.FirstError})"));
                results.Add(result);
                if (CallProfile.Enabled)
                {
                    BenchmarkCluster.Profile.Print();
                    allocations?.Print(options.Sessions);
                }
            }
            return results;
        }
    }

    public static async Task<List<ScaleResult>> Scale(BenchmarkOptions options, SchedulerMeter meter)
    {
        var results = new List<ScaleResult>();
        foreach (var agents in options.ScaleAgents)
        {
            Console.Error.WriteLine($"Decision time with {agents} agents...");
            await using var cluster = await BenchmarkCluster.Start(agents, options.AgentSilos, options.Policy, options.Replan);
            Console.Error.WriteLine($"  every agent in the scheduler's view after {cluster.RegistrationTime.TotalSeconds:F1} s");
            await ThroughputRun.Push(cluster, meter, Math.Min(500, options.ScaleSessions), options.InFlight, options.SessionTimeout);
            var run = await ThroughputRun.Push(cluster, meter, options.ScaleSessions, options.InFlight, options.SessionTimeout);
            Console.Error.WriteLine($"  {run.DecisionMicrosPerSession:F1} µs per session, {run.SessionsPerSecond:F0} sessions/s");
            results.Add(new ScaleResult(agents, cluster.RegistrationTime.TotalSeconds, run));
        }
        return results;
    }
}

public sealed record ThroughputResult(int Agents, double RegistrationSeconds, List<RunResult> Runs, List<RunResult> PacedRuns)
{
    public double Median(Func<RunResult, double> figure) => Median(Runs, figure);

    public double PacedMedian(Func<RunResult, double> figure) => Median(PacedRuns, figure);

    private static double Median(List<RunResult> runs, Func<RunResult, double> figure)
    {
        var sorted = runs.Select(figure).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

public sealed record ScaleResult(int Agents, double RegistrationSeconds, RunResult Run);
