namespace Granary.Scheduling.Replay;

/// <summary>Which of a policy's accepted pods the restricted packing bound keeps (<c>replay --holding POLICY --hold</c>).</summary>
public enum HeldPods
{
    /// <summary>GPU shares over half a device: the pods whose refusal the unrestricted bound profits from most.</summary>
    LargeShares,

    /// <summary>Every GPU pod: the bound then leaves only where the pods go, and what else to accept, to choose.</summary>
    All,
}
