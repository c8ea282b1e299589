using System.Globalization;

namespace Granary.Scheduling.Replay;

/// <summary>
/// Derives a workload from a pod list the way the FGD paper's variants were built from the default trace, with the
/// ratio asked for (NN = percent), seeded and deterministic:
/// <list type="bullet">
/// <item><c>gpushareNN</c>: GPU-sharing pods ask for NN % of the GPU demand. CPU-only pods are kept; every GPU pod is
/// redrawn (with replacement) from the sharing pods while their share of the GPU drawn so far is below NN %, else
/// from the whole-GPU pods (as gpushare40: same pod count, resampled).</item>
/// <item><c>multigpuNN</c>: multi-GPU pods ask for NN % of the GPU demand: multi-GPU pods drawn from the list are
/// appended until they do (as multigpu20), or random ones removed while they ask for more.</item>
/// <item><c>gpuspecNN</c>: pods asking for NN % of the GPU demand are constrained to GPU models: GPU pods in seeded
/// random order get a model set, drawn with the frequencies the shared gpuspec10 file uses, until they do.</item>
/// <item><c>cpuheavyNN</c>: CPU-only pods ask for NN % of the CPU demand: CPU-only pods drawn from the list are
/// appended until they do.</item>
/// </list>
/// Appended pods are named "{name}-v{k}", so every name stays unique.
/// </summary>
public static class WorkloadVariant
{
    public static IReadOnlyList<string> Kinds { get; } = ["gpushare", "multigpu", "gpuspec", "cpuheavy"];

    /// <summary>Model sets and their counts among the constrained pods of the shared gpuspec10 file.</summary>
    private static readonly (string[] Models, int Weight)[] ModelSets =
    [
        (["T4"], 355), (["G2"], 120), (["P100"], 100), (["V100M16", "V100M32"], 69), (["P100", "V100M16", "V100M32"], 26),
        (["G2", "P100", "T4", "V100M16", "V100M32"], 20), (["G3"], 17), (["A10", "G2", "T4", "V100M16", "V100M32"], 9),
        (["P100", "V100M16"], 6),
    ];

    /// <summary>The pods of the named variant ("gpushare60", "multigpu30", "gpuspec25", "cpuheavy40"); ArgumentException
    /// for another name, a ratio outside 0–100, or a ratio the list has no pods to reach.</summary>
    public static IReadOnlyList<TracePod> Derive(IReadOnlyList<TracePod> pods, string variant, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(variant);
        var kind = Kinds.FirstOrDefault(k => variant.StartsWith(k, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"variant '{variant}': expected one of {string.Join(", ", Kinds.Select(k => k + "NN"))}", nameof(variant));
        if (!int.TryParse(variant[kind.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent > 100)
            throw new ArgumentException($"variant '{variant}': the ratio must be a whole percent 0–100", nameof(variant));
        var ratio = percent / 100.0;
        var random = new Random(seed);
        var list = pods.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        return kind switch
        {
            "gpushare" => Resample(list, ratio, random),
            "multigpu" => Rebalance(list, ratio, random, p => p.NumGpu > 1, p => p.TotalGpuMilli),
            "gpuspec" => Constrain(list, ratio, random),
            _ => Rebalance(list, ratio, random, p => p.NumGpu <= 0 || p.GpuMilli <= 0, p => p.CpuMilli),
        };
    }

    /// <summary>The four ratios a variant sets, as fractions: GPU demand of sharing, multi-GPU and model-constrained
    /// pods, and CPU demand of CPU-only pods.</summary>
    public static VariantRatios Ratios(IReadOnlyList<TracePod> pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        double gpu = Math.Max(1, pods.Sum(p => p.TotalGpuMilli)), cpu = Math.Max(1, pods.Sum(p => p.CpuMilli));
        return new VariantRatios(
            pods.Where(IsSharing).Sum(p => p.TotalGpuMilli) / gpu,
            pods.Where(p => p.NumGpu > 1).Sum(p => p.TotalGpuMilli) / gpu,
            pods.Where(p => p.GpuModels is { Length: > 0 }).Sum(p => p.TotalGpuMilli) / gpu,
            pods.Where(p => p.TotalGpuMilli == 0).Sum(p => p.CpuMilli) / cpu);
    }

    public static bool IsSharing(TracePod pod) => pod.NumGpu == 1 && pod.GpuMilli is > 0 and < 1000;

    private static List<TracePod> Resample(List<TracePod> list, double ratio, Random random)
    {
        var sharing = list.Where(IsSharing).ToArray();
        var whole = list.Where(p => p.TotalGpuMilli > 0 && !IsSharing(p)).ToArray();
        if ((ratio > 0 && sharing.Length == 0) || (ratio < 1 && whole.Length == 0))
            throw new ArgumentException("the pod list has no pods of the kind the ratio needs", nameof(ratio));
        long shared = 0, total = 0;
        var result = new List<TracePod>(list.Count);
        foreach (var slot in list)
        {
            if (slot.TotalGpuMilli == 0) { result.Add(slot); continue; }
            var pool = ratio > 0 && (ratio >= 1 || shared < ratio * total) ? sharing : whole;
            var drawn = pool[random.Next(pool.Length)];
            result.Add(drawn with { Name = slot.Name });
            total += drawn.TotalGpuMilli;
            if (IsSharing(drawn)) shared += drawn.TotalGpuMilli;
        }
        return result;
    }

    /// <summary>Appends pods of the kind (drawn from the list) while they weigh less than the ratio of the total, or
    /// removes random ones while they weigh more.</summary>
    private static List<TracePod> Rebalance(List<TracePod> list, double ratio, Random random, Func<TracePod, bool> isKind,
        Func<TracePod, long> weight)
    {
        var kind = list.Where(isKind).ToArray();
        if (kind.Length == 0 && ratio > 0) throw new ArgumentException("the pod list has no pods of the kind the ratio needs", nameof(ratio));
        long part = kind.Sum(weight), total = list.Sum(weight);
        if (ratio >= 1 && part < total) throw new ArgumentException("a ratio of 100 % would need every pod of the kind", nameof(ratio));
        for (var k = 0; part < ratio * total; k++)
        {
            var drawn = kind[random.Next(kind.Length)];
            list.Add(drawn with { Name = $"{drawn.Name}-v{k}" });
            part += weight(drawn);
            total += weight(drawn);
        }
        while (part > ratio * total)
        {
            var candidates = Enumerable.Range(0, list.Count).Where(i => isKind(list[i])).ToArray();
            var i = candidates[random.Next(candidates.Length)];
            if ((part - weight(list[i])) < ratio * (total - weight(list[i]))) break;   // one more removal overshoots
            part -= weight(list[i]);
            total -= weight(list[i]);
            list.RemoveAt(i);
        }
        return list;
    }

    private static List<TracePod> Constrain(List<TracePod> list, double ratio, Random random)
    {
        var total = list.Sum(p => p.TotalGpuMilli);
        var constrained = list.Where(p => p.GpuModels is { Length: > 0 }).Sum(p => p.TotalGpuMilli);
        var order = Enumerable.Range(0, list.Count).Where(i => list[i].TotalGpuMilli > 0 && list[i].GpuModels is not { Length: > 0 }).ToArray();
        random.Shuffle(order);
        var weights = ModelSets.Sum(s => s.Weight);
        foreach (var i in order)
        {
            if (constrained >= ratio * total) break;
            var pick = random.Next(weights);
            var set = ModelSets.First(s => (pick -= s.Weight) < 0).Models;
            list[i] = list[i] with { GpuModels = set };
            constrained += list[i].TotalGpuMilli;
        }
        return list;
    }
}

/// <summary>Fractions of GPU demand (sharing, multi-GPU, model-constrained pods) and of CPU demand (CPU-only pods).</summary>
public sealed record VariantRatios(double Sharing, double MultiGpu, double Constrained, double CpuOnly)
{
    public override string ToString() => string.Format(CultureInfo.InvariantCulture,
        "GPU demand: sharing {0:P1}, multi-GPU {1:P1}, model-constrained {2:P1}; CPU demand: CPU-only {3:P1}",
        Sharing, MultiGpu, Constrained, CpuOnly);
}
