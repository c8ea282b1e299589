namespace Granary.Scheduling;

/// <summary>How <see cref="WhatIfScorer"/> compares its members' replays of the recent arrivals.</summary>
public enum WhatIfJudge
{
    /// <summary>The most GPU placed.</summary>
    PlacedGpu,

    /// <summary>The most GPU placed less the growth of the cluster's FGD fragmentation (both milli-GPU): a member
    /// that places as much but leaves more free GPU stranded for the mix loses.</summary>
    PlacedLessFragmentation,
}
