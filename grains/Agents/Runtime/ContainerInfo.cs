namespace Granary.Agents.Runtime;

public enum ContainerState
{
    Created,
    Running,
    Exited,
    Other,
}

/// <summary>A container as the runtime reports it. Ports: container port → host port it is published on. Pid: its
/// main process on the host while it runs (null when the runtime does not say, e.g. simulated).</summary>
public sealed record ContainerInfo(
    string Id,
    string Name,
    string Image,
    ContainerState State,
    int? ExitCode,
    bool OomKilled,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<int, int> Ports,
    int? Pid = null);
