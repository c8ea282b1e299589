using System.Globalization;
using System.Text;
using System.Text.Json;
using Granary.Scheduling.Replay;

namespace Granary.Silo.Replay;

/// <summary>Prints time-based replays (<see cref="TimedReplay"/>): mean ± std over seeds of each figure.</summary>
public static class TimedReport
{
    /// <summary>Wide enough for the longest row name the replay prints (e.g. plan-hold-0.03-replan-86400s).</summary>
    public const int PolicyWidth = 28;

    public static readonly string Header = "policy".PadRight(PolicyWidth) +
        "      pending mean s       pending p99 s       waiting GPU-h           never ran     GPU allocated %    pods/s";

    private static (double Mean, double Std) Stats(IReadOnlyList<TimedRun> runs, Func<TimedRun, double> figure)
    {
        var values = runs.Select(figure).ToArray();
        var mean = values.Average();
        var std = values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        return (mean, std);
    }

    private static double PodsPerSecond(IReadOnlyList<TimedRun> runs)
    {
        var seconds = runs.Sum(r => r.DecisionTime.TotalSeconds);
        return seconds > 0 ? runs.Sum(r => r.Decisions) / seconds : double.PositiveInfinity;
    }

    private static readonly (string Name, Func<TimedRun, double> Figure)[] Figures =
    [
        ("meanPendingSeconds", r => r.MeanPendingSeconds),
        ("p99PendingSeconds", r => r.P99PendingSeconds),
        ("waitingGpuHours", r => r.WaitingGpuHours),
        ("neverRan", r => r.NeverRan),
        ("allocatedGpuPct", r => r.AllocatedGpuPct),
    ];

    public static string ToRow(string policy, IReadOnlyList<TimedRun> runs) =>
        policy.PadRight(PolicyWidth) +
        string.Concat(Figures.Select(f => Stats(runs, f.Figure)).Select(s =>
            string.Format(CultureInfo.InvariantCulture, " {0,19}", $"{s.Mean:0.##} ± {s.Std:0.##}"))) +
        string.Format(CultureInfo.InvariantCulture, "{0,10:0}", PodsPerSecond(runs));

    /// <summary>The same fields as the arrival replay's rows (policy, seeds, podsPerSecond), the figures' means and
    /// standard deviations, and the allocated GPU % per slice of time (mean over seeds).</summary>
    public static string ToJson(string policy, IReadOnlyList<int> seeds, string queue, IReadOnlyList<TimedRun> runs)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("policy", policy);
            writer.WriteString("mode", "time");
            writer.WriteString("queue", queue);
            writer.WriteStartArray("seeds");
            foreach (var seed in seeds) writer.WriteNumberValue(seed);
            writer.WriteEndArray();
            writer.WriteNumber("pods", runs.Count == 0 ? 0 : runs[0].Pods);
            foreach (var (name, figure) in Figures)
            {
                var (mean, std) = Stats(runs, figure);
                writer.WriteNumber(name, Math.Round(mean, 3));
                writer.WriteNumber("std" + char.ToUpperInvariant(name[0]) + name[1..], Math.Round(std, 3));
            }
            writer.WriteStartArray("allocatedGpuPctOverTime");
            for (var s = 0; s < TimedReplay.Slices; s++) writer.WriteNumberValue(Math.Round(runs.Average(r => r.AllocatedGpuPctOverTime[s]), 2));
            writer.WriteEndArray();
            writer.WriteNumber("podsPerSecond", Math.Round(PodsPerSecond(runs)));
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
