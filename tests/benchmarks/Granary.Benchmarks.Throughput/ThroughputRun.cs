using System.Diagnostics;
using Granary.Resources;
using Granary.Sessions;

namespace Granary.Benchmarks.Throughput;

/// <summary>Pushes sessions through ISessionGrain.Create with a bounded number in flight and times each one
/// from the Create call until its session grain accepts RUNNING. Closed loop (rate 0: a new session as soon as one
/// is RUNNING, which measures the most the cluster can do, and latency is then in-flight / throughput by Little's
/// law) or paced (rate N: session i is due at i/N s, and its latency counts from then even when the in-flight bound
/// held it back, so a cluster that falls behind cannot hide it).</summary>
public static class ThroughputRun
{
    private const long MiB = 1024L * 1024;
    private static int _run;

    public static async Task<RunResult> Push(BenchmarkCluster cluster, SchedulerMeter meter, int sessions, int inFlight, TimeSpan timeout, int rate = 0)
    {
        var run = Interlocked.Increment(ref _run);
        await Settle();
        var gate = new SemaphoreSlim(inFlight);
        var samples = new Task<Sample>[sessions];
        var before = meter.Read();
        var gcBefore = (Allocated: GC.GetTotalAllocatedBytes(), Pause: GC.GetTotalPauseDuration(), Gen0: GC.CollectionCount(0), Gen2: GC.CollectionCount(2));
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < sessions; i++)
        {
            var due = started;
            if (rate > 0)
            {
                due = started + (long)((double)i / rate * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < due)
                {
                    await Task.Delay(1);
                }
            }
            await gate.WaitAsync();
            samples[i] = One(IdOf(i), i, rate > 0 ? due : null);
        }
        var results = await Task.WhenAll(samples);
        var totals = meter.Since(before);

        var ok = results.Where(r => r.RunningAt is not null).ToArray();
        var last = ok.Length == 0 ? started : ok.Max(r => r.RunningAt!.Value);
        var seconds = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        var latencies = ok.Select(r => Stopwatch.GetElapsedTime(r.StartedAt, r.RunningAt!.Value).TotalMilliseconds).Order().ToArray();
        var creates = results.Where(r => r.CreatedAt is not null)
            .Select(r => Stopwatch.GetElapsedTime(r.StartedAt, r.CreatedAt!.Value).TotalMilliseconds).Order().ToArray();
        var wall = Stopwatch.GetElapsedTime(started);
        Console.Error.WriteLine($"  per session: {(GC.GetTotalAllocatedBytes() - gcBefore.Allocated) / sessions / 1024.0:F1} KiB allocated, "
            + $"{(Environment.CpuUsage.TotalTime - cpuBefore).TotalMicroseconds / sessions:F0} µs CPU (all silos and the client); "
            + $"GC paused {(GC.GetTotalPauseDuration() - gcBefore.Pause) / wall:P1} of the run, "
            + $"{GC.CollectionCount(0) - gcBefore.Gen0} gen0 and {GC.CollectionCount(2) - gcBefore.Gen2} gen2 collections");
        if (CallProfile.Enabled)
        {
            double Median(Func<Sample, double> stage) => Percentile(ok.Where(r => r.AssignedAt > 0 && r.PreparingAt > 0).Select(stage).Order().ToArray(), 0.5);
            Console.Error.WriteLine($"  stage medians ms: create {Median(r => Stopwatch.GetElapsedTime(r.StartedAt, r.CreatedAt!.Value).TotalMilliseconds):F0}"
                + $", created→placed+started {Median(r => Stopwatch.GetElapsedTime(r.CreatedAt!.Value, r.AssignedAt).TotalMilliseconds):F0}"
                + $", placed+started→preparing {Median(r => Stopwatch.GetElapsedTime(r.AssignedAt, r.PreparingAt).TotalMilliseconds):F0}"
                + $", preparing→running {Median(r => Stopwatch.GetElapsedTime(r.PreparingAt, r.RunningAt!.Value).TotalMilliseconds):F0}");
        }
        await TerminateAll(cluster, Enumerable.Range(0, sessions).Select(IdOf), inFlight);
        return new RunResult(
            sessions, ok.Length, sessions - ok.Length, seconds, ok.Length / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99), latencies.LastOrDefault(),
            Percentile(creates, 0.50), Percentile(creates, 0.99),
            totals.MedianMicrosPerSession, totals.MeanMicrosPerSession, totals.Passes, results.FirstOrDefault(r => r.Error is not null)?.Error);

        string IdOf(int index) => $"r{run}-{index:D6}";

        async Task<Sample> One(string id, int index, long? dueAt)
        {
            await Task.Yield();
            var startedAt = dueAt ?? Stopwatch.GetTimestamp();
            long? createdAt = null;
            try
            {
                var running = cluster.Watch.Expect(id);
                await cluster.Client.GetGrain<ISessionGrain>(id).Create(SpecFor(index));
                createdAt = Stopwatch.GetTimestamp();
                var runningAt = await running.WaitAsync(timeout);
                var (assignedAt, preparingAt) = cluster.Watch.TakeStages(id);
                return new Sample(startedAt, createdAt, runningAt, null, assignedAt, preparingAt);
            }
            catch (Exception exception)
            {
                cluster.Watch.Forget(id);
                return new Sample(startedAt, createdAt, null, exception.GetType().Name + ": " + exception.Message, 0, 0);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>Ends the run's sessions (not measured), so every run meets the same empty cluster and any number of
    /// runs fits its capacity.</summary>
    private static async Task TerminateAll(BenchmarkCluster cluster, IEnumerable<string> ids, int inFlight)
    {
        var gate = new SemaphoreSlim(inFlight);
        await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                await cluster.Client.GetGrain<ISessionGrain>(id).Terminate(force: false);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Each run starts from the same footing (as BenchmarkDotNet does between iterations): the previous
    /// run's garbage collected and its trailing work (snapshot pushes, background collections) given a moment.</summary>
    private static async Task Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    /// <summary>Small interactive GPU-sharing sessions: half a core, 2 GiB and a tenth of a GPU (a node of the benchmark
    /// holds 80 of them, so best fit fills nodes one after another and many agents are busy at once).</summary>
    private static SessionSpec SpecFor(int index) => new(
        Name: "bench",
        Owner: $"user{index % 20}",
        Image: "python:3.11",
        Type: SessionType.Interactive,
        Resources: new ResourceRequest(CpuMilli: 500, MemoryBytes: 2048 * MiB, FgpuMilli: 100),
        ResourceGroup: BenchmarkCluster.Group,
        Mounts: [],
        Env: []);

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record Sample(long StartedAt, long? CreatedAt, long? RunningAt, string? Error, long AssignedAt, long PreparingAt);
}

public sealed record RunResult(
    int Sessions, int Running, int Failed, double Seconds, double SessionsPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs,
    double CreateP50Ms, double CreateP99Ms,
    double DecisionMicrosPerSession, double DecisionMeanMicrosPerSession, long PlanPasses, string? FirstError);
