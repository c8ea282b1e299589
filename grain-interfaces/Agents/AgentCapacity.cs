namespace Granary.Agents;

/// <summary>
/// What a node offers. FgpuPerGpu: how many fGPU one device holds (5 ⇒ 1 fGPU = 0.2 GPU).
/// EnforcementMode: how fractions are enforced on the node: "mps", "hami", "mig" or "none".
/// GpuSource: where the GPUs come from: "configured", "nvml" or "mock" (made up, for development and demos).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentCapacity(
    [property: Id(0)] long CpuMilli,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] GpuDeviceInfo[] Gpus,
    [property: Id(3)] int FgpuPerGpu = 1,
    [property: Id(4)] string EnforcementMode = "none",
    [property: Id(5)] string GpuSource = "configured");
