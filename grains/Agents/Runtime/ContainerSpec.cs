namespace Granary.Agents.Runtime;

/// <summary>Everything needed to create a session's container.</summary>
public sealed record ContainerSpec(
    string Name,
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, string> Labels,
    long CpuMilli,
    long MemoryBytes,
    long ShmBytes,
    IReadOnlyList<int> PublishedPorts,
    IReadOnlyList<BindMount> Mounts,
    IReadOnlyList<string> GpuUuids);

/// <summary>A host folder mounted into the container.</summary>
public sealed record BindMount(string HostPath, string ContainerPath, bool ReadOnly);
