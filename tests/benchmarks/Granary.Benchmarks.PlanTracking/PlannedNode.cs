using Granary.Devices;
using Granary.Scheduling.Replay;

namespace Granary.Benchmarks.PlanTracking;

/// <summary>One node of the replayed cluster: what is free on it, and what its planned packing still has room for —
/// whole devices per pod type and, per device, shares per pod type (the plan's shares go on devices first fit
/// decreasing, onto the fullest device they fit).</summary>
internal sealed class PlannedNode
{
    private readonly Dictionary<int, int> _wholeSlots = [];
    private readonly Dictionary<int, int>[] _shareSlots;
    private readonly bool[] _forShares;

    public PlannedNode(TraceNode node)
    {
        Node = node;
        FreeCpuMilli = node.CpuMilli;
        FreeMemoryMib = node.MemoryMib;
        FreeMilli = Enumerable.Repeat(GpuAllocationMap.DeviceMilli, node.Gpus).ToArray();
        _shareSlots = Enumerable.Range(0, node.Gpus).Select(_ => new Dictionary<int, int>()).ToArray();
        _forShares = new bool[node.Gpus];
    }

    public TraceNode Node { get; }
    public long FreeCpuMilli { get; private set; }
    public long FreeMemoryMib { get; private set; }
    public int[] FreeMilli { get; }

    /// <summary>CPU and memory the plan still expects its pods to take here.</summary>
    public long PlannedCpuMilli { get; private set; }
    public long PlannedMemoryMib { get; private set; }

    /// <summary>Takes <paramref name="counts"/> pods of each of <paramref name="types"/> as this node's plan.</summary>
    public void Follow(IReadOnlyList<int> counts, IReadOnlyList<PackingBound.PodType> types)
    {
        var wholeDevices = 0;
        var shares = new List<int>();
        for (var t = 0; t < counts.Count; t++)
        {
            if (counts[t] == 0) continue;
            if (types[t].Whole)
            {
                _wholeSlots[t] = counts[t];
                wholeDevices += counts[t] * types[t].NumGpu;
            }
            else shares.AddRange(Enumerable.Repeat(t, counts[t]));
            PlannedCpuMilli += counts[t] * types[t].CpuMilli;
            PlannedMemoryMib += counts[t] * types[t].MemoryMib;
        }
        var load = new int[FreeMilli.Length];
        foreach (var t in shares.OrderByDescending(t => types[t].GpuMilli))
        {
            var best = -1;
            for (var d = 0; d < FreeMilli.Length - wholeDevices; d++)
                if (load[d] + types[t].GpuMilli <= GpuAllocationMap.DeviceMilli && (best < 0 || load[d] > load[best])) best = d;
            if (best < 0)
            {
                PlannedCpuMilli -= types[t].CpuMilli;
                PlannedMemoryMib -= types[t].MemoryMib;
                continue;
            }
            load[best] += types[t].GpuMilli;
            _forShares[best] = true;
            _shareSlots[best][t] = _shareSlots[best].GetValueOrDefault(t) + 1;
        }
    }

    public bool FitsCpuMemoryModel(TracePod pod) => FreeCpuMilli >= pod.CpuMilli && FreeMemoryMib >= pod.MemoryMib
        && (pod.GpuModels is not { Length: > 0 } || pod.GpuModels.Contains(Node.Model, StringComparer.OrdinalIgnoreCase));

    /// <summary>Places the pod of plan type <paramref name="type"/> in a slot of the plan, if one is open and fits.</summary>
    public bool TryPlaceInSlot(TracePod pod, int type)
    {
        if (!FitsCpuMemoryModel(pod)) return false;
        if (pod.GpuMilli >= GpuAllocationMap.DeviceMilli)
        {
            if (_wholeSlots.GetValueOrDefault(type) == 0) return false;
            var devices = Enumerable.Range(0, FreeMilli.Length).Where(d => FreeMilli[d] == GpuAllocationMap.DeviceMilli && !_forShares[d]).Take(pod.NumGpu).ToArray();
            if (devices.Length < pod.NumGpu) return false;
            _wholeSlots[type]--;
            Take(pod, devices, planned: true);
            return true;
        }
        for (var d = 0; d < FreeMilli.Length; d++)
        {
            if (_shareSlots[d].GetValueOrDefault(type) == 0 || FreeMilli[d] < pod.GpuMilli) continue;
            _shareSlots[d][type]--;
            Take(pod, [d], planned: true);
            return true;
        }
        return false;
    }

    /// <summary>The device a share outside the plan would take here by best fit (−1: none), and what it would leave
    /// free of it; <paramref name="inUseOnly"/> keeps it off whole devices.</summary>
    public (int Device, int Left) BestFitShare(TracePod pod, bool inUseOnly)
    {
        var (device, left) = (-1, int.MaxValue);
        if (!FitsCpuMemoryModel(pod)) return (device, left);
        for (var d = 0; d < FreeMilli.Length; d++)
            if (FreeMilli[d] >= pod.GpuMilli && !(inUseOnly && FreeMilli[d] == GpuAllocationMap.DeviceMilli) && FreeMilli[d] - pod.GpuMilli < left)
                (device, left) = (d, FreeMilli[d] - pod.GpuMilli);
        return (device, left);
    }

    /// <summary>Whole devices a whole-GPU pod outside the plan would take here (null: too few), devices planned for
    /// shares first.</summary>
    public int[]? WholeDevicesFor(TracePod pod)
    {
        if (!FitsCpuMemoryModel(pod)) return null;
        var free = Enumerable.Range(0, FreeMilli.Length).Where(d => FreeMilli[d] == GpuAllocationMap.DeviceMilli).OrderBy(d => _forShares[d] ? 0 : 1).Take(pod.NumGpu).ToArray();
        return free.Length == pod.NumGpu ? free : null;
    }

    public void Take(TracePod pod, IEnumerable<int> devices, bool planned)
    {
        FreeCpuMilli -= pod.CpuMilli;
        FreeMemoryMib -= pod.MemoryMib;
        if (planned)
        {
            PlannedCpuMilli -= pod.CpuMilli;
            PlannedMemoryMib -= pod.MemoryMib;
        }
        foreach (var d in devices) FreeMilli[d] -= Math.Min(pod.GpuMilli, GpuAllocationMap.DeviceMilli);
    }
}
