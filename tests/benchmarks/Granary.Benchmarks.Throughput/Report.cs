using System.Text.Json;

namespace Granary.Benchmarks.Throughput;

/// <summary>Prints the figures as tables (and as one JSON object with --json).</summary>
public static class Report
{
    public static void Print(BenchmarkOptions options, ThroughputResult throughput, List<ScaleResult> scale)
    {
        Console.WriteLine();
        Console.WriteLine($"Saturation (closed loop): {throughput.Agents} agents, {options.Sessions} sessions per run, {options.InFlight} in flight, "
            + $"{Environment.ProcessorCount} cores (agents registered in {throughput.RegistrationSeconds:F1} s)");
        Table(throughput.Runs, throughput.Median);
        var most = throughput.Median(r => r.SessionsPerSecond);
        Console.WriteLine($"  latency here is {options.InFlight} in flight / throughput (Little's law): {options.InFlight / most * 1000:F0} ms on average");

        if (throughput.PacedRuns.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Paced (open loop): {options.Rate} sessions/s offered, at most {options.InFlight} in flight, latency from each session's due time");
            Table(throughput.PacedRuns, throughput.PacedMedian);
        }
        var kept = throughput.PacedRuns.Count > 0 && throughput.PacedMedian(r => r.SessionsPerSecond) >= 0.98 * options.Rate;
        var p99 = throughput.PacedRuns.Count > 0 ? throughput.PacedMedian(r => r.P99Ms) : throughput.Median(r => r.P99Ms);
        Console.WriteLine($"Target: >= 2000 sessions/s (saturation median {most:F0}) and p99 < 250 ms at 2000 sessions/s offered "
            + $"(paced median p99 {(throughput.PacedRuns.Count > 0 ? F(p99) : "not run")}) -> "
            + (most >= 2000 && options.Rate >= 2000 && kept && p99 < 250 ? "met" : "NOT met"));

        if (scale.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Scheduler decision time per placed session (median) as the cluster grows ({options.ScaleSessions} sessions each, {options.InFlight} in flight)");
            Console.WriteLine(Row("agents", "µs/session", "x agents", "x cost", "cost/agents", "sessions/s", "p99 ms", "register s", ""));
            var first = scale[0];
            foreach (var s in scale)
            {
                var agentRatio = (double)s.Agents / first.Agents;
                var costRatio = s.Run.DecisionMicrosPerSession / first.Run.DecisionMicrosPerSession;
                Console.WriteLine(Row($"{s.Agents}", F(s.Run.DecisionMicrosPerSession, 1), F(agentRatio, 1), F(costRatio, 2),
                    F(costRatio / agentRatio, 2), F(s.Run.SessionsPerSecond), F(s.Run.P99Ms), F(s.RegistrationSeconds, 1), ""));
            }
            var worst = scale.Skip(1).Select(s => s.Run.DecisionMicrosPerSession / first.Run.DecisionMicrosPerSession / ((double)s.Agents / first.Agents)).DefaultIfEmpty(1).Max();
            Console.WriteLine($"Cost grows {(worst <= 1 ? "no worse than" : "WORSE than")} linearly in agents (largest cost/agents ratio {worst:F2})");
        }

        if (options.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                agents = throughput.Agents,
                sessions = options.Sessions,
                inFlight = options.InFlight,
                registrationSeconds = throughput.RegistrationSeconds,
                sessionsPerSecond = throughput.Median(r => r.SessionsPerSecond),
                p50Ms = throughput.Median(r => r.P50Ms),
                p95Ms = throughput.Median(r => r.P95Ms),
                p99Ms = throughput.Median(r => r.P99Ms),
                runs = throughput.Runs,
                pacedRate = options.Rate,
                pacedSessionsPerSecond = throughput.PacedRuns.Count > 0 ? throughput.PacedMedian(r => r.SessionsPerSecond) : (double?)null,
                pacedP50Ms = throughput.PacedRuns.Count > 0 ? throughput.PacedMedian(r => r.P50Ms) : (double?)null,
                pacedP99Ms = throughput.PacedRuns.Count > 0 ? throughput.PacedMedian(r => r.P99Ms) : (double?)null,
                pacedRuns = throughput.PacedRuns,
                scale = scale.Select(s => new { agents = s.Agents, decisionMicrosPerSession = s.Run.DecisionMicrosPerSession, registrationSeconds = s.RegistrationSeconds, run = s.Run }),
            }));
        }
    }

    private static void Table(List<RunResult> runs, Func<Func<RunResult, double>, double> median)
    {
        Console.WriteLine(Row("run", "sessions/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "create p99", "decide µs", "failed"));
        var index = 0;
        foreach (var run in runs)
        {
            Console.WriteLine(Row($"{++index}", F(run.SessionsPerSecond), F(run.P50Ms), F(run.P95Ms), F(run.P99Ms), F(run.MaxMs),
                F(run.CreateP99Ms), F(run.DecisionMicrosPerSession, 1), $"{run.Failed}"));
        }
        Console.WriteLine(Row("median", F(median(r => r.SessionsPerSecond)), F(median(r => r.P50Ms)), F(median(r => r.P95Ms)),
            F(median(r => r.P99Ms)), F(median(r => r.MaxMs)), F(median(r => r.CreateP99Ms)), F(median(r => r.DecisionMicrosPerSession), 1), ""));
    }

    private static string F(double value, int decimals = 0) => double.IsNaN(value) ? "-" : value.ToString("F" + decimals);

    private static string Row(params string[] cells) => string.Join(" ", cells.Select((c, i) => i == 0 ? c.PadRight(7) : c.PadLeft(11)));
}
