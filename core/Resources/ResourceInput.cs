namespace Granary.Resources;

/// <summary>Resources as a client writes them: cpu in cores ("0.5"), memory as bytes or "4g"/"512m",
/// whole gpus, fractional fgpu, optional allowed GPU models, and a MIG profile (one whole MIG instance, e.g. "1g.10gb").</summary>
public sealed record ResourceInput(decimal? Cpu, string? Memory, int? Gpu, decimal? Fgpu, string[]? GpuModels, string? Mig = null);
