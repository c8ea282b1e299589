namespace Granary.Resources;

/// <summary>Resources as a client writes them: cpu in cores ("0.5"), memory as bytes or "4g"/"512m",
/// whole gpus, fractional fgpu, and optional allowed GPU models.</summary>
public sealed record ResourceInput(decimal? Cpu, string? Memory, int? Gpu, decimal? Fgpu, string[]? GpuModels);
