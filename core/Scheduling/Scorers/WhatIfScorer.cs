using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// What-if selection over a portfolio of policies: every <see cref="Period"/> arrivals the scheduler replays its own
/// last <see cref="Window"/> arrivals, from the cluster as it is now, once per member policy (a plan on the current
/// snapshot: nothing is changed) and adopts the member judged best (<see cref="WhatIfJudge"/>); ties keep the member
/// in use. The recent arrivals stand in for the next ones, so the choice follows the workload the cluster sees.
/// With a constrained member, a rule on every arrival seen overrides the replays (<see cref="ConstrainedShare"/>); with
/// a light-sharing member, a second rule chooses between it and the first member instead of replays
/// (<see cref="LightSharingShare"/>). With a <see cref="WholeDeviceReserve"/>, it tells the reserve each round how
/// many whole GPUs to keep, from the same observed mix.
/// Deterministic given the arrivals and snapshots (no clock, no randomness). Use one instance from one thread.
/// </summary>
public sealed class WhatIfScorer : INodeScorer
{
    private readonly PlacementPolicy[] _members;
    private readonly QueuedRequest[] _recent;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private int _recorded;            // arrivals recorded in all (ring position = _recorded % Window)
    private int _sinceChoice;
    private int _current;
    private readonly FragmentationModel? _fixedModel;
    private readonly int? _constrainedMember;
    private readonly int? _lightSharingMember;
    private double _recordedGpu;
    private double _recordedConstrainedGpu;
    private double _recordedSharingGpu;
    private readonly WholeDeviceReserve? _reserve;
    private readonly WholeGpuDemand _demand = new();   // for the reserve
    private bool _wholeWanted;

    /// <param name="workload">The mix <see cref="WhatIfJudge.PlacedLessFragmentation"/> measures fragmentation against
    /// (null: the observed mix at each choice).</param>
    /// <param name="period">Arrivals between two replays; int.MaxValue: never replay.</param>
    /// <param name="constrainedMember">The member adopted without a replay while model-constrained requests ask for at
    /// least <see cref="ConstrainedShare"/> of the GPU of every arrival recorded (null: always judge by replay).</param>
    /// <param name="lightSharingMember">Unless the constrained rule holds, the member adopted while requests for a share
    /// of one device ask for less than <see cref="LightSharingShare"/> of the GPU of every arrival recorded, and the
    /// first member otherwise (null: no such rule).</param>
    /// <param name="reserve">Measured every round against the part of the GPU every arrival recorded asks for as whole
    /// GPUs, unless model-constrained requests asked for <see cref="WholeDeviceReserve.MaxConstrainedShare"/> of it or
    /// more, or (in timed rounds) no request for whole GPUs arrived or waited
    /// within <see cref="WholeDeviceReserve.DemandHorizon"/>; the policy holding it lists it among its filters.</param>
    public WhatIfScorer(IReadOnlyList<PlacementPolicy> members, int window = 256, int period = 256,
        WhatIfJudge judge = WhatIfJudge.PlacedGpu, TargetWorkload? workload = null, int? constrainedMember = null,
        int? lightSharingMember = null, WholeDeviceReserve? reserve = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("a portfolio needs at least one member", nameof(members));
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _members = members.ToArray();
        _recent = new QueuedRequest[window];
        Period = period;
        Judge = judge;
        _fixedModel = workload is null ? null : new FragmentationModel(workload);
        if (constrainedMember is { } index)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(constrainedMember));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, members.Count, nameof(constrainedMember));
        }
        _constrainedMember = constrainedMember;
        if (lightSharingMember is { } light)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(light, nameof(lightSharingMember));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(light, members.Count, nameof(lightSharingMember));
        }
        _lightSharingMember = lightSharingMember;
        _reserve = reserve;
    }

    /// <summary>Model-constrained requests' share of the GPU asked for from which the constrained member is adopted.
    /// Few constrained requests fall into many rare request types outside the target mix, so FGD does not keep
    /// unconstrained work off their models, and the replay of recent arrivals does not see the failures to come
    /// (docs/scheduling.md, "Few model-constrained pods").</summary>
    public const double ConstrainedShare = 0.005;

    /// <summary>GPU-sharing requests' share of the GPU asked for below which the light-sharing member is adopted.
    /// Sending ties to nodes in use (consolidation) leaves less unallocated than FGD when shares ask for 25 % of the GPU
    /// or more, and more below that (measured from 10 % to 80 %: docs/scheduling.md, "Consolidation and the sharing
    /// share").</summary>
    public const double LightSharingShare = 0.25;

    public WhatIfJudge Judge { get; }

    public int Window => _recent.Length;
    public int Period { get; }

    /// <summary>The member in use now.</summary>
    public PlacementPolicy Current => _members[_current];

    /// <summary>How many times the what-if replay or the constrained-mix rule changed the member in use.</summary>
    public int Switches { get; private set; }

    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        Observe(queue, cluster);
        MeasureReserve(cluster, now: null);
        return Keeping(_members[_current].Scorer.ForRound(queue, cluster));
    }

    /// <summary>As the untimed round; the member gets the time (so it may reuse its observed mix).</summary>
    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, DateTimeOffset now)
    {
        Observe(queue, cluster);
        MeasureReserve(cluster, now);
        return Keeping(_members[_current].Scorer.ForRound(queue, cluster, now));
    }

    private void Observe(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(queue);
        foreach (var request in queue)
        {
            Record(request.Session);
            // New or still waiting: either way whole GPUs are wanted now (whole as the mix counts them).
            if (_reserve is not null && !_wholeWanted && WholeGpuDemand.Asks(request.Session.Resources)) _wholeWanted = true;
        }
        if (_constrainedMember is { } constrained && _recordedConstrainedGpu > 0 && _recordedConstrainedGpu >= ConstrainedShare * _recordedGpu)
        {
            // From the first constrained arrival: the placements made before a replay would choose matter too.
            Adopt(constrained);
            return;
        }
        if (_lightSharingMember is { } light && _recordedGpu > 0)
        {
            Adopt(_recordedSharingGpu < LightSharingShare * _recordedGpu ? light : 0);
            return;
        }
        if (Period < int.MaxValue && _sinceChoice >= Period && _recorded >= Window && _members.Length > 1)
        {
            _sinceChoice = 0;
            Choose(cluster);
        }
    }

    private INodeScorer Keeping(INodeScorer round) => _reserve is null ? round : _reserve.KeepingWholeDevices(round);

    private void MeasureReserve(ClusterState cluster, DateTimeOffset? now)
    {
        if (_reserve is null) return;
        if (_wholeWanted && now is { } at) _demand.Heard(at);
        _wholeWanted = false;
        var constrained = _recordedConstrainedGpu >= WholeDeviceReserve.MaxConstrainedShare * _recordedGpu;
        var demandGone = now is { } time && _demand.Lapsed(time);
        if (constrained || demandGone || _recordedGpu == 0)
        {
            _reserve.Release();
            return;
        }
        _reserve.Measure(cluster, 1 - _recordedSharingGpu / _recordedGpu);
    }

    private void Record(PendingSession session)
    {
        if (!_seen.Add(session.SessionId)) return;
        _seenOrder.Enqueue(session.SessionId);
        if (_seenOrder.Count > 4 * Window) _seen.Remove(_seenOrder.Dequeue());
        var (count, milli) = TargetWorkload.GpuShape(session.Resources);
        _recordedGpu += (double)count * milli;
        if (session.Resources.GpuModels is { Length: > 0 }) _recordedConstrainedGpu += (double)count * milli;
        if (count == 1 && milli < GpuAllocationMap.DeviceMilli) _recordedSharingGpu += milli;
        if (Period < int.MaxValue)
        {
            var replayed = session with { SessionId = $"what-if/{_recorded % Window}", Priority = 0 };
            _recent[_recorded % Window] = new QueuedRequest(replayed, 0);
        }
        _recorded++;
        _sinceChoice++;
    }

    private void Choose(ClusterState cluster)
    {
        // Oldest first, as they arrived.
        var start = _recorded % Window;
        var history = new QueuedRequest[Window];
        for (var i = 0; i < Window; i++) history[i] = _recent[(start + i) % Window];

        var model = Judge == WhatIfJudge.PlacedGpu ? null : _fixedModel ?? new FragmentationModel(TargetWorkload.Observed(history, cluster));
        var best = _current;
        var bestValue = Value(_members[_current], history, cluster, model);
        for (var m = 0; m < _members.Length; m++)
        {
            if (m == _current) continue;
            var value = Value(_members[m], history, cluster, model);
            if (value > bestValue) { best = m; bestValue = value; }
        }
        Adopt(best);
    }

    private void Adopt(int member)
    {
        if (member != _current) Switches++;
        _current = member;
    }

    /// <summary>GPU milli the member places of the history on the cluster as it is; with a model, less the growth in
    /// fragmentation of the nodes it placed on (the total changes only there).</summary>
    private static double Value(PlacementPolicy member, QueuedRequest[] history, ClusterState cluster, FragmentationModel? model)
    {
        var plan = Scheduler.Plan(history, cluster, int.MaxValue, member, FifoOrder.Instance);
        return WhatIfValue.Of(plan.Placements, cluster, model);
    }

    public bool ScoresDependOnNodeOnly => _members[_current].Scorer.ScoresDependOnNodeOnly;

    public double Score(NodeState node, ResourceRequest request) => _members[_current].Scorer.Score(node, request);

    public GpuShare[]? Shares(NodeState node, ResourceRequest request) => _members[_current].Scorer.Shares(node, request);

    public void Placed(NodeState node, Placement placement) => _members[_current].Scorer.Placed(node, placement);
}
