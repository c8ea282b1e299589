namespace Granary.Silo.Adapters.Nvml;

/// <summary>The outcome of asking NVML for the node's devices. Problem says why there are no devices
/// when NVML could not be used (no library, init failed, ...); null when NVML answered.</summary>
public sealed record NvmlProbe(string LibraryPath, string? Problem, IReadOnlyList<NvmlDevice> Devices)
{
    public bool Available => Problem is null;
}
