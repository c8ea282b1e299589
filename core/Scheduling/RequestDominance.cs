using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Whether one request needs at least as much as another in every respect. Within a planning round free capacity
/// only shrinks, so a request that dominates one that fit nowhere cannot fit either; the scheduler uses this to
/// skip the node scan for long queues of unplaceable requests. It holds as long as every filter is monotone in
/// the request (asking for more, for fewer GPU models, or to mount folders never makes a node feasible).
/// </summary>
public static class RequestDominance
{
    public static bool NeedsAtLeast(ResourceRequest bigger, ResourceRequest smaller)
    {
        if (bigger.CpuMilli < smaller.CpuMilli || bigger.MemoryBytes < smaller.MemoryBytes) return false;
        // A MIG profile is a slot kind, not an amount: only the same profile compares.
        if (bigger.MigProfile != smaller.MigProfile) return false;
        if (smaller.MountsFolders && !bigger.MountsFolders) return false;
        if (!ModelsWithin(bigger.GpuModels, smaller.GpuModels)) return false;
        if (smaller.Gpus > 0) return bigger.Gpus >= smaller.Gpus;
        if (smaller.FgpuMilli > 0) return bigger.Gpus == 0 && bigger.FgpuMilli >= smaller.FgpuMilli;
        return true;
    }

    public static bool SameNeeds(ResourceRequest a, ResourceRequest b) =>
        a.CpuMilli == b.CpuMilli && a.MemoryBytes == b.MemoryBytes && a.Gpus == b.Gpus && a.FgpuMilli == b.FgpuMilli &&
        a.MigProfile == b.MigProfile && a.MountsFolders == b.MountsFolders &&
        ModelsWithin(a.GpuModels, b.GpuModels) && ModelsWithin(b.GpuModels, a.GpuModels);

    // Every model allowed by `inner` is allowed by `outer` (no models = any model).
    private static bool ModelsWithin(string[]? inner, string[]? outer)
    {
        if (outer is not { Length: > 0 }) return true;
        if (inner is not { Length: > 0 }) return false;
        foreach (var model in inner)
            if (!outer.Contains(model, StringComparer.OrdinalIgnoreCase)) return false;
        return true;
    }
}
