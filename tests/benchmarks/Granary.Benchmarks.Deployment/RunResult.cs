namespace Granary.Benchmarks.Deployment;

/// <summary>The figures of one run. Sessions/s: sessions RUNNING over the time from the first POST to the last
/// session's RUNNING; latencies in ms, create->RUNNING from each session's send (or due) time.</summary>
public sealed record RunResult(
    int Run, int Rate, int Sessions, int Running, int Failed, double SessionsPerSecond,
    double P50Ms, double P99Ms, double MaxMs, double CreateP50Ms, double CreateP99Ms,
    double CpuMsPerSession, Dictionary<string, double> CpuMsPerSessionByRole, double WritesPerSession, List<(string GrainType, double PerSession)> Writes, string? FirstError)
{
    public static RunResult Of(int run, int rate, Sample[] samples, DateTimeOffset started,
        List<(string GrainType, double PerSession)> writes, Dictionary<string, TimeSpan> cpu)
    {
        var ok = samples.Where(s => s.RunningAt is not null).ToArray();
        var last = ok.Length == 0 ? started : ok.Max(s => s.RunningAt!.Value);
        var seconds = Math.Max((last - started).TotalSeconds, 1e-3);
        var latencies = ok.Select(s => Math.Max(0, (s.RunningAt!.Value - s.Due).TotalMilliseconds)).Order().ToArray();
        var creates = samples.Where(s => s.Id is not null).Select(s => s.CreateMs).Order().ToArray();
        return new RunResult(run, rate, samples.Length, ok.Length, samples.Length - ok.Length, ok.Length / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.LastOrDefault(),
            Percentile(creates, 0.50), Percentile(creates, 0.99),
            cpu.Values.Sum(c => c.TotalMilliseconds) / samples.Length, cpu.ToDictionary(c => c.Key, c => c.Value.TotalMilliseconds / samples.Length),
            writes.Sum(w => w.PerSession), writes,
            samples.FirstOrDefault(s => s.Error is not null)?.Error);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
