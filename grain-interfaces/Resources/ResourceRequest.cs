namespace Granary.Resources;

/// <summary>
/// A session's resource request in internal units: CPU in milli-cores, memory in bytes,
/// whole GPU devices, and fractional GPU in milli-fGPU (fgpu 0.2 = 200). On a node whose
/// fgpuPerGpu is F, one fGPU is 1/F of a device, so FgpuMilli converts to milli-GPU as
/// FgpuMilli / F (rounded up). A request carries Gpus or FgpuMilli, never both.
/// GpuModels, when non-empty, restricts the devices to those models (e.g. "V100M16", "V100M32").
/// MigProfile, when set, asks for one whole MIG instance of that profile (e.g. "1g.10gb"); FgpuMilli then holds
/// what it is charged as against quotas (its compute slices over 7) and does not choose the instance.
/// MountsFolders: the session mounts storage folders, so only a node that can mount them takes it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ResourceRequest(
    [property: Id(0)] long CpuMilli,
    [property: Id(1)] long MemoryBytes,
    [property: Id(2)] int Gpus = 0,
    [property: Id(3)] long FgpuMilli = 0,
    [property: Id(4)] string[]? GpuModels = null,
    [property: Id(5)] string? MigProfile = null,
    [property: Id(6)] bool MountsFolders = false)
{
    public bool WantsGpu => Gpus > 0 || FgpuMilli > 0 || MigProfile is not null;
}
