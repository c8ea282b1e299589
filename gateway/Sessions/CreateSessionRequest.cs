using System.Text.Json;

namespace Granary.Gateway.Sessions;

/// <summary>The body of POST /v1/sessions, as the client wrote it (checked by CreateSessionValidator).</summary>
public sealed record CreateSessionRequest(
    string? Name,
    string? Image,
    ResourcesRequest? Resources,
    MountRequest[]? Mounts,
    Dictionary<string, string>? Env,
    string? Type,
    // An array of arguments, or one string run with /bin/sh -c.
    JsonElement? Command,
    string? ResourceGroup,
    int? Priority);

/// <summary>cpu in cores (0.5), memory as bytes or "4g"/"512m", whole gpus or fractional fgpu, allowed GPU models.</summary>
public sealed record ResourcesRequest(
    decimal? Cpu,
    JsonElement? Memory,
    int? Gpu,
    decimal? Fgpu,
    string[]? GpuModels);

/// <summary>A storage folder to mount; path defaults to /home/work/{folder}.</summary>
public sealed record MountRequest(string? Folder, string? Path, bool? ReadOnly);
