namespace Granary.Benchmarks.Deployment;

public sealed record ModeResult(string SynchronousCommit, List<RunResult> Saturated, List<RunResult> Paced);

/// <summary>The summary table: medians of the runs of each kind, per synchronous_commit setting.</summary>
public static class Report
{
    public static void Print(DeploymentOptions options, List<ModeResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"Deployment on PostgreSQL: {options.Managers} manager(s), {options.AgentProcesses} agent process(es) with {options.Nodes} "
            + $"simulated nodes, {options.Gateways} gateway(s), {options.Users} users; {options.Sessions} sessions per run, medians of "
            + $"{options.Runs} runs; {Environment.ProcessorCount} cores, load average now {LoadAverage()}");
        Console.WriteLine(Row("synchronous_commit", "run", "sessions/s", "p50 ms", "p99 ms", "POST p99 ms", "writes/session", "CPU ms/session"));
        foreach (var mode in results)
        {
            Line(mode.SynchronousCommit, $"saturated ({options.Clients} POSTs out)", mode.Saturated);
            Line(mode.SynchronousCommit, $"paced {options.Rate}/s", mode.Paced);
        }
        Console.WriteLine("Target: >= 1000 sessions/s saturated, p99 < 1000 ms paced at 500/s.");
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>The grain class of an OrleansStorage type string ("Granary.Sessions.SessionGrain,Granary.Grains" -> SessionGrain).</summary>
    public static string ShortName(string grainType) => grainType.Split(',')[0].Split('.')[^1];

    private static void Line(string commit, string kind, List<RunResult> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }
        Console.WriteLine(Row(commit, kind, F(Median(runs, r => r.SessionsPerSecond)), F(Median(runs, r => r.P50Ms)), F(Median(runs, r => r.P99Ms)),
            F(Median(runs, r => r.CreateP99Ms)), Median(runs, r => r.WritesPerSession).ToString("F1"), Median(runs, r => r.CpuMsPerSession).ToString("F1")));
    }

    private static double Median(List<RunResult> runs, Func<RunResult, double> figure)
    {
        var sorted = runs.Select(figure).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string F(double value) => double.IsNaN(value) ? "-" : value.ToString("F0");

    private static string Row(params string[] cells) => string.Join(" | ", cells.Select((c, i) => i == 1 ? c.PadRight(26) : c.PadLeft(10)));
}
