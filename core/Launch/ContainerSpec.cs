namespace Granary.Agents.Runtime;

/// <summary>Everything needed to create a session's container. Files are written into the container
/// after it is created and before it starts (the session's SSH key, for one).</summary>
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
    IReadOnlyList<string> GpuUuids,
    IReadOnlyList<ContainerFile>? Files = null);

/// <summary>A host folder mounted into the container.</summary>
public sealed record BindMount(string HostPath, string ContainerPath, bool ReadOnly);

/// <summary>A file placed into the container before it starts; Mode is octal permissions (e.g. 0600), owned by Uid/Gid.</summary>
public sealed record ContainerFile(string Path, string Content, int Mode, int Uid, int Gid);
