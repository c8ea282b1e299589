namespace Granary.Agents;

/// <summary>A GPU as the agent discovered or configured it: a physical device, or (Parent set) a MIG instance of
/// one, which the node offers as a device of its own. Sms and ComputeCapability are 0 / null when unknown.</summary>
[GenerateSerializer, Immutable]
public sealed record GpuDeviceInfo(
    [property: Id(0)] string Uuid,
    [property: Id(1)] string Model,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] int Index,
    [property: Id(4)] int Sms = 0,
    [property: Id(5)] string? ComputeCapability = null,
    [property: Id(6)] string? Parent = null,
    [property: Id(7)] string? MigProfile = null)
{
    public bool IsMigInstance => Parent is not null;
}
