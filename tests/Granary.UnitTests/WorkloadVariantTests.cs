using Granary.Scheduling.Replay;

namespace Granary.UnitTests;

public class WorkloadVariantTests
{
    // 60 CPU-only pods, 100 whole GPUs, 10 four-GPU pods, 100 half-GPU shares: sharing 50 of 190 GPUs, multi-GPU 40.
    private static readonly TracePod[] Pods =
    [
        .. Enumerable.Range(0, 60).Select(i => new TracePod($"c{i:D3}", 4000, 1024, 0, 0, null)),
        .. Enumerable.Range(0, 100).Select(i => new TracePod($"w{i:D3}", 8000, 4096, 1, 1000, null)),
        .. Enumerable.Range(0, 10).Select(i => new TracePod($"m{i:D3}", 32000, 16384, 4, 1000, null)),
        .. Enumerable.Range(0, 100).Select(i => new TracePod($"s{i:D3}", 2000, 2048, 1, 500, null)),
    ];

    private const double OnePod = 4000.0 / 150_000;   // the largest pod's GPU over a total that stays above 150 GPUs

    [Theory]
    [InlineData("gpushare10", 0.10)]
    [InlineData("gpushare60", 0.60)]
    [InlineData("multigpu5", 0.05)]      // below the original 40 of 190 GPUs: four-GPU pods are removed
    [InlineData("multigpu40", 0.40)]
    [InlineData("gpuspec25", 0.25)]
    [InlineData("cpuheavy50", 0.50)]
    public void A_variant_has_the_ratio_asked_for_and_every_name_once(string variant, double asked)
    {
        var derived = WorkloadVariant.Derive(Pods, variant, seed: 7);
        var ratios = WorkloadVariant.Ratios(derived);
        var measured = variant[..5] switch
        {
            "gpush" => ratios.Sharing,
            "multi" => ratios.MultiGpu,
            "gpusp" => ratios.Constrained,
            _ => ratios.CpuOnly,
        };
        Assert.InRange(measured, asked - OnePod, asked + OnePod);
        Assert.Equal(derived.Count, derived.Select(p => p.Name).Distinct().Count());
        Assert.Equal(derived.Select(p => p.Name), WorkloadVariant.Derive(Pods, variant, seed: 7).Select(p => p.Name));
    }

    [Fact]
    public void Resampling_sharing_keeps_the_pod_count_and_the_cpu_only_pods()
    {
        var derived = WorkloadVariant.Derive(Pods, "gpushare60", seed: 7);
        Assert.Equal(Pods.Length, derived.Count);
        Assert.Equal(Pods.Where(p => p.TotalGpuMilli == 0), derived.Where(p => p.TotalGpuMilli == 0));
    }

    [Fact]
    public void Constraining_draws_model_sets_and_changes_nothing_else()
    {
        var derived = WorkloadVariant.Derive(Pods, "gpuspec25", seed: 7);
        Assert.Contains(derived, p => p.GpuModels is { Length: > 0 });
        Assert.Equal(Pods.Select(p => p with { GpuModels = null }).OrderBy(p => p.Name),
            derived.Select(p => p with { GpuModels = null }).OrderBy(p => p.Name));
    }

    [Theory]
    [InlineData("gpushare")]
    [InlineData("binpack50")]
    [InlineData("multigpu101")]
    public void A_name_or_ratio_it_cannot_build_is_refused(string variant) =>
        Assert.Throws<ArgumentException>(() => WorkloadVariant.Derive(Pods, variant));
}
