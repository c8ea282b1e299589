namespace Granary.Agents.Runtime;

/// <summary>
/// The port through which an agent drives containers. Shaped after Docker's lifecycle:
/// create, start, inspect/wait, logs, stop, remove, list by label. Adapters: Docker, simulated.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>"docker" or "simulated"; shown to users so they know whether sessions are real.</summary>
    string Name { get; }

    /// <summary>The images the node has, as "name:tag" with their labels.</summary>
    Task<IReadOnlyList<RuntimeImage>> ListImages(CancellationToken cancellationToken);

    /// <summary>Null when the node does not have the image.</summary>
    Task<RuntimeImage?> FindImage(string image, CancellationToken cancellationToken);

    /// <summary>Creates (does not start) a container; returns its id.</summary>
    Task<string> Create(ContainerSpec spec, CancellationToken cancellationToken);

    Task Start(string containerId, CancellationToken cancellationToken);

    /// <summary>Null when the container does not exist.</summary>
    Task<ContainerInfo?> Inspect(string containerId, CancellationToken cancellationToken);

    /// <summary>Completes with the exit code when the container stops.</summary>
    Task<int> Wait(string containerId, CancellationToken cancellationToken);

    /// <summary>The container's combined stdout and stderr, at most the last tailLines lines.</summary>
    Task<string> Logs(string containerId, int tailLines, CancellationToken cancellationToken);

    /// <summary>Asks the container to stop, kills it after the grace period. No-op when it is not running.</summary>
    Task Stop(string containerId, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>Removes the container (killing it when running). No-op when it does not exist.</summary>
    Task Remove(string containerId, CancellationToken cancellationToken);

    /// <summary>Starts command with a TTY of the given size in the running container, as user.</summary>
    Task<IContainerTerminal> OpenTerminal(string containerId, IReadOnlyList<string> command, string user, int columns, int rows, CancellationToken cancellationToken);

    /// <summary>Containers (running or not) whose labels include every pair of the filter.</summary>
    Task<IReadOnlyList<ContainerInfo>> List(IReadOnlyDictionary<string, string> labelFilter, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what the runtime made beside containers (Docker: session networks) whose labels include every pair of
    /// the filter, that no container uses and whose session is not in keep: what a crash between making or removing
    /// a container and its network leaves behind. Returns how many it removed.
    /// </summary>
    Task<int> RemoveLeftovers(IReadOnlyDictionary<string, string> labelFilter, IReadOnlySet<string> keep, CancellationToken cancellationToken);
}
