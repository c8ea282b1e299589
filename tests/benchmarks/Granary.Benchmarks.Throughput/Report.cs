using System.Text.Json;

namespace Granary.Benchmarks.Throughput;

/// <summary>Prints the figures as tables (and as one JSON object with --json).</summary>
public static class Report
{
    public static void Print(BenchmarkOptions options, ThroughputResult throughput, List<ScaleResult> scale)
    {
        Console.WriteLine();
        Console.WriteLine($"Throughput: {throughput.Agents} agents, {options.Sessions} sessions per run, {options.InFlight} in flight, "
            + $"{Environment.ProcessorCount} cores (agents registered in {throughput.RegistrationSeconds:F1} s)");
        Console.WriteLine(Row("run", "sessions/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "create p99", "decide µs/s", "failed"));
        var index = 0;
        foreach (var run in throughput.Runs)
        {
            Console.WriteLine(Row($"{++index}", F(run.SessionsPerSecond), F(run.P50Ms), F(run.P95Ms), F(run.P99Ms), F(run.MaxMs),
                F(run.CreateP99Ms), F(run.DecisionMicrosPerSession, 1), $"{run.Failed}"));
        }
        Console.WriteLine(Row("median", F(throughput.Median(r => r.SessionsPerSecond)), F(throughput.Median(r => r.P50Ms)),
            F(throughput.Median(r => r.P95Ms)), F(throughput.Median(r => r.P99Ms)), F(throughput.Median(r => r.MaxMs)),
            F(throughput.Median(r => r.CreateP99Ms)), F(throughput.Median(r => r.DecisionMicrosPerSession), 1), ""));
        Console.WriteLine($"Target: >= 2000 sessions/s and p99 < 250 ms -> "
            + (throughput.Median(r => r.SessionsPerSecond) >= 2000 && throughput.Median(r => r.P99Ms) < 250 ? "met" : "NOT met"));

        if (scale.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Scheduler decision time per session as the cluster grows ({options.ScaleSessions} sessions each, {options.InFlight} in flight)");
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
                scale = scale.Select(s => new { agents = s.Agents, decisionMicrosPerSession = s.Run.DecisionMicrosPerSession, registrationSeconds = s.RegistrationSeconds, run = s.Run }),
            }));
        }
    }

    private static string F(double value, int decimals = 0) => double.IsNaN(value) ? "-" : value.ToString("F" + decimals);

    private static string Row(params string[] cells) => string.Join(" ", cells.Select((c, i) => i == 0 ? c.PadRight(7) : c.PadLeft(11)));
}
