namespace Granary.Resources;

/// <summary>A share of one physical GPU, in milli-GPU (1000 = the whole device).</summary>
[GenerateSerializer, Immutable]
public sealed record GpuShare([property: Id(0)] string Uuid, [property: Id(1)] int Milli);
