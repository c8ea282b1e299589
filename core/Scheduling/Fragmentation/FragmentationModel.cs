using Granary.Devices;

namespace Granary.Scheduling;

/// <summary>
/// FGD's node fragmentation against a target workload: F = Σ p_m × frag_m, where R is the node's free milli-GPU;
/// a CPU-only type, a type whose GPU models the node lacks, or one that cannot run on the node (too few devices
/// with enough free share, or too little free CPU) counts all of R; a type that can run counts the free share of
/// the devices too small for it. Works on plain spans so scorers can evaluate hypothetical states cheaply.
/// </summary>
public sealed class FragmentationModel
{
    private readonly double[] _p;
    private readonly long[] _cpu;
    private readonly int[] _count;
    private readonly int[] _milli;
    private readonly string[]?[] _models;
    private readonly Dictionary<string, int> _modelIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<bool[]> _allowed = [];   // model id → per type: may the type run on that model

    public FragmentationModel(TargetWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        Workload = workload;
        var types = workload.Types;
        _p = types.Select(t => t.Probability).ToArray();
        _cpu = types.Select(t => t.CpuMilli).ToArray();
        _count = types.Select(t => t.GpuCount).ToArray();
        _milli = types.Select(t => t.MilliPerGpu).ToArray();
        _models = types.Select(t => t.Models is { Length: > 0 } m ? m : null).ToArray();
    }

    public TargetWorkload Workload { get; }

    /// <summary>A small integer for a GPU model name (stable for this model's lifetime).</summary>
    public int ModelId(string model)
    {
        if (_modelIds.TryGetValue(model, out var id)) return id;
        id = _modelIds.Count;
        _modelIds[model] = id;
        var allowed = new bool[_p.Length];
        for (var t = 0; t < allowed.Length; t++)
            allowed[t] = _count[t] > 0 && (_models[t] is not { } models || models.Contains(model, StringComparer.OrdinalIgnoreCase));
        _allowed.Add(allowed);
        return id;
    }

    /// <summary>The node's fragmentation given each device's free milli and model id, and the node's free CPU.</summary>
    public double Fragmentation(ReadOnlySpan<int> free, ReadOnlySpan<int> modelIds, long freeCpu)
    {
        var r = 0;
        foreach (var f in free) r += f;
        if (r == 0) return 0;
        var homogeneous = true;
        for (var i = 1; i < modelIds.Length; i++)
            if (modelIds[i] != modelIds[0]) { homogeneous = false; break; }

        double total = 0;
        for (var t = 0; t < _p.Length; t++)
        {
            if (_count[t] == 0 || freeCpu < _cpu[t]) { total += _p[t] * r; continue; }
            var milli = _milli[t];
            int fitting = 0, small = 0;
            if (homogeneous)
            {
                if (!_allowed[modelIds[0]][t]) { total += _p[t] * r; continue; }
                foreach (var f in free)
                    if (f >= milli) fitting++; else small += f;
            }
            else
            {
                for (var i = 0; i < free.Length; i++)
                    if (_allowed[modelIds[i]][t] && free[i] >= milli) fitting++; else small += free[i];
            }
            total += _p[t] * (fitting >= _count[t] ? small : r);
        }
        return total;
    }

    public static int DeviceMilli => GpuAllocationMap.DeviceMilli;
}
