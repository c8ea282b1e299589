namespace Granary.Agents;

/// <summary>A physical GPU as the agent discovered or configured it.</summary>
[GenerateSerializer, Immutable]
public sealed record GpuDeviceInfo(
    [property: Id(0)] string Uuid,
    [property: Id(1)] string Model,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] int Index);
