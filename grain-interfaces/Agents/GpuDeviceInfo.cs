namespace Granary.Agents;

/// <summary>A GPU as the agent discovered or configured it: a physical device, or (Parent set) a MIG instance of
/// one, which the node offers as a slot of its own. Sms and ComputeCapability are 0 / null when unknown; a MIG
/// instance's ParentMemoryBytes and ParentSms are its GPU's (0 when unknown), what its size as a fraction of the GPU
/// is measured against (<c>MigSlots.CoverMilli</c>).</summary>
[GenerateSerializer, Immutable]
public sealed record GpuDeviceInfo(
    [property: Id(0)] string Uuid,
    [property: Id(1)] string Model,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] int Index,
    [property: Id(4)] int Sms = 0,
    [property: Id(5)] string? ComputeCapability = null,
    [property: Id(6)] string? Parent = null,
    [property: Id(7)] string? MigProfile = null,
    [property: Id(8)] long ParentMemoryBytes = 0,
    [property: Id(9)] int ParentSms = 0)
{
    public bool IsMigInstance => Parent is not null;
}
