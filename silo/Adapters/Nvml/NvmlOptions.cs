namespace Granary.Silo.Adapters.Nvml;

/// <summary>Configuration section "Granary:Nvml".</summary>
public sealed class NvmlOptions
{
    public const string SectionName = "Granary:Nvml";

    /// <summary>The NVML library to load; empty means the driver's libnvidia-ml.so.1.</summary>
    public string? LibraryPath { get; set; }

    /// <summary>Where the host's processes are listed (the containers of the PIDs NVML reports are read there).</summary>
    public string ProcRoot { get; set; } = "/proc";
}
