using System.Runtime.CompilerServices;
using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Fragmentation gradient descent (FGD, Weng et al., ATC'23): the node whose fragmentation against the target
/// workload grows least (or shrinks most) when it takes the request; a GPU-sharing request goes to the device that
/// does so. The score is ⌊resolution × sigmoid(ΔF / 1000)⌋: FGD uses resolution 100, whose coarse steps make many
/// nodes tie (ties then go to the first node in the cluster's order); resolution 0 ranks by ΔF itself.
/// <see cref="PreferUsedNodes"/> sends ties to nodes already in use first.
/// </summary>
/// <remarks>
/// A node's score depends only on its shape (device models, free share per device, free CPU), so results are
/// memoised by shape and request type: identical nodes cost one dictionary lookup and a node is evaluated again
/// only after it changed. With no fixed workload the scorer measures against the observed mix of each round (what
/// runs plus what waits). An instance with a fixed workload keeps its memo across rounds: use it from one thread.
/// </remarks>
public sealed class FragmentationScorer : INodeScorer
{
    private const int MaxMemoDevices = 12;       // 10 bits per device, 6 per long
    private const int MaxMemoEntries = 2_000_000;

    private readonly FragmentationModel? _model;
    private readonly ConditionalWeakTable<AgentCapacity, NodeInfo> _nodes = new();
    private readonly Dictionary<string, int> _signatures = new(StringComparer.Ordinal);
    private readonly Dictionary<(long Cpu, int Gpus, long Fgpu, string Models), int> _requestIds = new();
    private readonly Dictionary<MemoKey, double> _memo = new();
    private ResourceRequest? _lastRequest;
    private int _lastRequestId;

    public FragmentationScorer(TargetWorkload? workload, double resolution = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(resolution);
        _model = workload is null ? null : new FragmentationModel(workload);
        Resolution = resolution;
    }

    /// <summary>Score steps of the sigmoid (100 = FGD); 0 = the exact fragmentation change.</summary>
    public double Resolution { get; }

    public TargetWorkload? Workload => _model?.Workload;

    /// <summary>Break ties in favour of nodes that already hold GPU work, keeping idle nodes whole for big requests.</summary>
    public bool PreferUsedNodes { get; init; }

    /// <summary>With no fixed workload: how long an observed mix is used before it is measured again (zero: every
    /// round, as FGD does). A scheduler grain plans many small rounds; measuring the mix walks every allocation.</summary>
    public TimeSpan WorkloadRefresh { get; init; }

    /// <summary>Two observed mixes whose types are the same and whose probabilities differ by less than this are
    /// treated as one, so the round scorer and its memo survive (only with a positive <see cref="WorkloadRefresh"/>).</summary>
    public const double MaterialChange = 0.01;

    private FragmentationScorer? _round;
    private DateTimeOffset _roundMeasuredAt;

    /// <summary>A round without a time: the observed mix is measured afresh (a reused one would have no age).</summary>
    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        if (_model is not null) return this;
        return new FragmentationScorer(TargetWorkload.Observed(queue, cluster), Resolution) { PreferUsedNodes = PreferUsedNodes };
    }

    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, DateTimeOffset now)
    {
        if (_model is not null || WorkloadRefresh <= TimeSpan.Zero) return ForRound(queue, cluster);
        if (_round is not null && now - _roundMeasuredAt < WorkloadRefresh) return _round;
        var observed = TargetWorkload.Observed(queue, cluster);
        _roundMeasuredAt = now;
        if (_round?.Workload is { } current && current.SameMix(observed, MaterialChange)) return _round;
        return _round = new FragmentationScorer(observed, Resolution) { PreferUsedNodes = PreferUsedNodes };
    }

    public bool ScoresDependOnNodeOnly => true;

    public double Score(NodeState node, ResourceRequest request)
    {
        var delta = Delta(node, request);
        var primary = Resolution > 0 ? Math.Floor(Resolution / (1 + Math.Exp(-delta / 1000))) : delta / 1000;
        // Below one score step: among equal scores, a node already in use before an idle one (consolidation).
        return PreferUsedNodes && node.Gpus.UsedMilli > 0 ? primary + (Resolution > 0 ? 0.5 : 1e-9) : primary;
    }

    public GpuShare[]? Shares(NodeState node, ResourceRequest request)
    {
        var milli = node.GpuMilliFor(request);
        // MIG slots are taken whole by the allocation map's own rule (smallest covering slot, or the profile).
        if (request.Gpus > 0 || milli <= 0 || milli > GpuAllocationMap.DeviceMilli || _model is null
            || request.MigProfile is not null || node.Gpus.HasMigSlots || node.Gpus.FractionsOnMigSlotsOnly)
            return node.FindGpuShares(request);
        var info = Info(node);
        var gpus = node.Gpus;
        Span<int> free = stackalloc int[gpus.DeviceCount];
        for (var i = 0; i < free.Length; i++) free[i] = gpus.FreeMilliAt(i);
        Evaluate(free, info.ModelIds, node.FreeCpuMilli, request, milli, gpus, out var position);
        return position < 0 ? node.FindGpuShares(request) : [new GpuShare(gpus.Devices[position].Uuid, milli)];
    }

    /// <summary>F before − F after placing the request on the node (positive: fragmentation shrinks).</summary>
    public double Delta(NodeState node, ResourceRequest request)
    {
        if (_model is null) return 0;
        var gpus = node.Gpus;
        var count = gpus.DeviceCount;
        if (count == 0) return 0;
        var info = Info(node);
        var milli = node.GpuMilliFor(request);
        Span<int> free = stackalloc int[count];
        for (var i = 0; i < count; i++) free[i] = gpus.FreeMilliAt(i);

        if (info.Signature < 0 || milli > GpuAllocationMap.DeviceMilli)
            return Evaluate(free, info.ModelIds, node.FreeCpuMilli, request, milli, gpus, out _);

        // Homogeneous node: the result depends on the multiset of free shares only, so sort for the memo key.
        free.Sort();
        long a = 0, b = 0;
        for (var i = 0; i < count; i++)
            if (i < 6) a |= (long)free[i] << (10 * i); else b |= (long)free[i] << (10 * (i - 6));
        var key = new MemoKey(info.Signature, RequestId(request), node.FreeCpuMilli, a, b);
        if (_memo.TryGetValue(key, out var delta)) return delta;
        delta = Evaluate(free, info.ModelIds, node.FreeCpuMilli, request, milli, gpus, out _);
        if (_memo.Count >= MaxMemoEntries) _memo.Clear();
        _memo[key] = delta;
        return delta;
    }

    private double Evaluate(Span<int> free, ReadOnlySpan<int> modelIds, long freeCpu, ResourceRequest request, int milli,
        GpuAllocationMap gpus, out int position)
    {
        var model = _model!;
        position = -1;
        var before = model.Fragmentation(free, modelIds, freeCpu);
        var cpuAfter = freeCpu - request.CpuMilli;
        if (request.Gpus > 0)
        {
            // Whole devices: the first fully free ones of an accepted model, as the allocation map takes them.
            Span<int> after = stackalloc int[free.Length];
            free.CopyTo(after);
            var needed = request.Gpus;
            for (var i = 0; i < after.Length && needed > 0; i++)
                if (after[i] == GpuAllocationMap.DeviceMilli && Accepts(gpus, i, request)) { after[i] = 0; needed--; }
            return needed > 0 ? double.NegativeInfinity : before - model.Fragmentation(after, modelIds, cpuAfter);
        }
        if (milli > 0 && milli <= GpuAllocationMap.DeviceMilli)
        {
            // A share of one device: try every device that holds it, keep the best (the first on ties).
            var best = double.NegativeInfinity;
            for (var i = 0; i < free.Length; i++)
            {
                if (free[i] < milli || !Accepts(gpus, i, request)) continue;
                // An equal neighbour of the same model gives the same result: evaluate the first only.
                if (i > 0 && free[i] == free[i - 1] && modelIds[i] == modelIds[i - 1]) continue;
                free[i] -= milli;
                var delta = before - model.Fragmentation(free, modelIds, cpuAfter);
                free[i] += milli;
                if (delta > best) { best = delta; position = i; }
            }
            if (position >= 0) return best;
        }
        if (milli > 0)
        {
            // More than one device, or a share no single device holds: the allocation map's even split.
            var shares = gpus.FindFraction(milli, request.GpuModels);
            if (shares is null) return double.NegativeInfinity;
            Span<int> after = stackalloc int[gpus.DeviceCount];
            for (var i = 0; i < after.Length; i++)
            {
                after[i] = gpus.FreeMilliAt(i);
                foreach (var share in shares)
                    if (share.Uuid == gpus.Devices[i].Uuid) after[i] -= share.Milli;
            }
            return before - model.Fragmentation(after, modelIds, cpuAfter);
        }
        return before - model.Fragmentation(free, modelIds, cpuAfter);
    }

    // On homogeneous nodes (the memoised, sorted case) every device has the same model, so positions need not match.
    private static bool Accepts(GpuAllocationMap gpus, int position, ResourceRequest request) =>
        request.GpuModels is not { Length: > 0 } || GpuAllocationMap.ModelMatches(gpus.Devices[position], request.GpuModels);

    private int RequestId(ResourceRequest request)
    {
        if (ReferenceEquals(request, _lastRequest)) return _lastRequestId;
        var key = (request.CpuMilli, request.Gpus, request.FgpuMilli, TargetWorkload.ModelKey(request.GpuModels));
        if (!_requestIds.TryGetValue(key, out var id)) _requestIds[key] = id = _requestIds.Count;
        _lastRequest = request;
        _lastRequestId = id;
        return id;
    }

    private NodeInfo Info(NodeState node)
    {
        if (_nodes.TryGetValue(node.Capacity, out var info)) return info;
        var devices = node.Gpus.Devices;
        var ids = new int[devices.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = _model!.ModelId(devices[i].Model);
        var signature = -1;
        if (ids.All(id => id == ids[0]) && ids.Length <= MaxMemoDevices)
        {
            var name = $"{ids[0]}/{ids.Length}/{node.Capacity.FgpuPerGpu}";
            if (!_signatures.TryGetValue(name, out signature)) _signatures[name] = signature = _signatures.Count;
        }
        info = new NodeInfo(ids, signature);
        _nodes.AddOrUpdate(node.Capacity, info);
        return info;
    }

    private sealed record NodeInfo(int[] ModelIds, int Signature);

    private readonly record struct MemoKey(int Signature, int Request, long Cpu, long A, long B);
}
