using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// When whole GPUs were last asked for, for a hold that keeps GPUs whole: once no request for whole GPUs arrived or
/// waited for <see cref="WholeDeviceReserve.DemandHorizon"/>, the hold lapses, since the GPUs held would otherwise idle
/// while shares wait. Shared by the default's reserve (<see cref="WhatIfScorer"/>) and the plan's (<see cref="PlanHold"/>).
/// </summary>
public sealed class WholeGpuDemand
{
    private DateTimeOffset? _last;

    /// <summary>Whether the request asks for whole GPUs, as the observed mix counts them: the demand a hold is for.</summary>
    public static bool Asks(ResourceRequest request)
    {
        var (count, milli) = TargetWorkload.GpuShape(request);
        return count > 1 || (count == 1 && milli >= GpuAllocationMap.DeviceMilli);
    }

    /// <summary>A request for whole GPUs arrived or waited in the round planned at <paramref name="now"/>.</summary>
    public void Heard(DateTimeOffset now) => _last = now;

    /// <summary>Whether none was heard within the horizon before <paramref name="now"/>.</summary>
    public bool Lapsed(DateTimeOffset now) => _last is not { } last || now - last > WholeDeviceReserve.DemandHorizon;
}
