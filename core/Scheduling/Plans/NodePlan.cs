using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// What one node should hold under a <see cref="WorkloadPlan"/>: sessions of each <see cref="SlotKind"/>, whole-GPU
/// kinds on devices of their own and shares laid onto the other devices first fit decreasing (onto the fullest device
/// they fit). A slot is open while the node holds fewer sessions of its kind than planned (for shares: on that device),
/// so the plan is read against the node's allocations and a departure gives its slot back.
/// </summary>
public sealed class NodePlan
{
    private readonly Dictionary<SlotKind, int> _planned = [];
    private readonly Dictionary<SlotKind, int> _whole = [];
    private readonly Dictionary<SlotKind, int>[] _shares;
    private readonly bool[] _forShares;

    /// <summary>The plan for a node of <paramref name="devices"/> GPUs holding <paramref name="counts"/>. Shares that
    /// do not fit the devices left by the whole-GPU kinds are dropped (the plan's packing fits, so none should be).</summary>
    public NodePlan(IReadOnlyDictionary<SlotKind, int> counts, int devices)
    {
        ArgumentNullException.ThrowIfNull(counts);
        _shares = Enumerable.Range(0, devices).Select(_ => new Dictionary<SlotKind, int>()).ToArray();
        _forShares = new bool[devices];
        var wholeDevices = 0;
        foreach (var (kind, count) in counts.Where(c => c.Key.Whole && c.Value > 0))
        {
            _whole[kind] = count;
            wholeDevices += count * kind.Devices;
        }
        var load = new int[devices];
        var shares = counts.Where(c => !c.Key.Whole).SelectMany(c => Enumerable.Repeat(c.Key, Math.Max(0, c.Value)));
        foreach (var kind in shares.OrderByDescending(k => k.MilliPerDevice).ThenBy(k => k.CpuMilli).ThenBy(k => k.MemoryBytes))
        {
            var best = -1;
            for (var d = 0; d < devices - wholeDevices; d++)
                if (load[d] + kind.MilliPerDevice <= GpuAllocationMap.DeviceMilli && (best < 0 || load[d] > load[best])) best = d;
            if (best < 0) continue;
            load[best] += kind.MilliPerDevice;
            _forShares[best] = true;
            _shares[best][kind] = _shares[best].GetValueOrDefault(kind) + 1;
        }
        foreach (var (kind, count) in _whole.Concat(_shares.SelectMany(d => d)))
        {
            _planned[kind] = _planned.GetValueOrDefault(kind) + count;
            (PlannedCpuMilli, PlannedMemoryBytes) = (PlannedCpuMilli + count * kind.CpuMilli, PlannedMemoryBytes + count * kind.MemoryBytes);
        }
    }

    /// <summary>CPU and memory of every planned slot (shares that did not fit the devices are not planned).</summary>
    public long PlannedCpuMilli { get; }
    public long PlannedMemoryBytes { get; }

    /// <summary>Whether device <paramref name="position"/> is planned for shares (whole-GPU requests outside the plan
    /// take such devices first).</summary>
    public bool ForShares(int position) => position < _forShares.Length && _forShares[position];

    /// <summary>The GPUs an open slot of the request's kind gives it on <paramref name="node"/> (this plan's node);
    /// null when no slot of its kind is open there or the slot's devices are not free enough.</summary>
    public GpuShare[]? OpenSlot(NodeState node, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(node);
        // Most nodes plan no slot of a given kind: they answer without reading their allocations.
        if (SlotKind.Of(node, request) is not { } kind || !_planned.ContainsKey(kind)) return null;
        var gpus = node.Gpus;
        if (kind.Whole)
        {
            if (_whole.GetValueOrDefault(kind) <= Held(node, kind)) return null;
            var devices = new List<GpuShare>(kind.Devices);
            for (var d = 0; d < gpus.DeviceCount && devices.Count < kind.Devices; d++)
                if (!ForShares(d) && gpus.FreeMilliAt(d) == GpuAllocationMap.DeviceMilli && GpuAllocationMap.ModelMatches(gpus.Devices[d], request.GpuModels))
                    devices.Add(new GpuShare(gpus.Devices[d].Uuid, GpuAllocationMap.DeviceMilli));
            return devices.Count == kind.Devices ? [.. devices] : null;
        }
        for (var d = 0; d < Math.Min(gpus.DeviceCount, _shares.Length); d++)
        {
            if (_shares[d].GetValueOrDefault(kind) == 0 || gpus.FreeMilliAt(d) < kind.MilliPerDevice
                || !GpuAllocationMap.ModelMatches(gpus.Devices[d], request.GpuModels)) continue;
            if (_shares[d][kind] > HeldOn(node, d, kind)) return [new GpuShare(gpus.Devices[d].Uuid, kind.MilliPerDevice)];
        }
        return null;
    }

    /// <summary>CPU and memory the open slots still expect (a session of a planned kind fills one).</summary>
    public (long CpuMilli, long MemoryBytes) Unfilled(NodeState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var (cpu, memory) = (PlannedCpuMilli, PlannedMemoryBytes);
        var filled = new Dictionary<SlotKind, int>();
        foreach (var allocation in node.Allocations)
        {
            if (SlotKind.Of(allocation) is not { } kind || filled.GetValueOrDefault(kind) >= Planned(kind)) continue;
            filled[kind] = filled.GetValueOrDefault(kind) + 1;
            (cpu, memory) = (cpu - kind.CpuMilli, memory - kind.MemoryBytes);
        }
        return (cpu, memory);
    }

    private int Planned(SlotKind kind) => _planned.GetValueOrDefault(kind);

    private static int Held(NodeState node, SlotKind kind)
    {
        var held = 0;
        foreach (var allocation in node.Allocations)
            if (SlotKind.Of(allocation) == kind) held++;
        return held;
    }

    private static int HeldOn(NodeState node, int position, SlotKind kind)
    {
        var held = 0;
        foreach (var (session, _) in node.Gpus.SharesOn(node.Gpus.Devices[position].Uuid))
            if (node.AllocationOf(session) is { } allocation && SlotKind.Of(allocation) == kind) held++;
        return held;
    }
}
