namespace Granary.Benchmarks.Soak;

/// <summary>Resident memory samples of a process over the run, and the least-squares slope of those after warm-up.</summary>
public sealed class MemorySamples
{
    private readonly List<(double Minutes, double MiB)> _samples = [];
    private readonly Lock _gate = new();

    public void Add(TimeSpan at, long bytes)
    {
        lock (_gate)
        {
            _samples.Add((at.TotalMinutes, bytes / 1024.0 / 1024.0));
        }
    }

    /// <summary>Samples from <paramref name="from"/> on: count, first and last MiB, and the slope in MiB per minute.</summary>
    public (int Count, double FirstMiB, double LastMiB, double MiBPerMinute) After(TimeSpan from)
    {
        List<(double Minutes, double MiB)> kept;
        lock (_gate)
        {
            kept = [.. _samples.Where(s => s.Minutes >= from.TotalMinutes)];
        }
        if (kept.Count < 2)
        {
            return (kept.Count, double.NaN, double.NaN, double.NaN);
        }
        var meanX = kept.Average(s => s.Minutes);
        var meanY = kept.Average(s => s.MiB);
        var slope = kept.Sum(s => (s.Minutes - meanX) * (s.MiB - meanY)) / kept.Sum(s => (s.Minutes - meanX) * (s.Minutes - meanX));
        return (kept.Count, kept[0].MiB, kept[^1].MiB, slope);
    }
}
