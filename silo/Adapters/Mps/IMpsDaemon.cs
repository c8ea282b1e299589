namespace Granary.Silo.Adapters.Mps;

/// <summary>The node's CUDA MPS control daemon, as the agent silo runs it.</summary>
public interface IMpsDaemon
{
    /// <summary>Puts the devices in exclusive-process compute mode, starts the daemon and keeps it running.</summary>
    Task Start(IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken);

    /// <summary>Stops watching and asks the daemon to quit.</summary>
    Task Stop(CancellationToken cancellationToken);

    /// <summary>How many times the daemon was started (1 after a clean start; more after restarts).</summary>
    int Starts { get; }
}

/// <summary>For silos whose nodes do not manage an MPS daemon.</summary>
public sealed class NoMpsDaemon : IMpsDaemon
{
    public Task Start(IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("This silo does not manage an MPS daemon.");

    public Task Stop(CancellationToken cancellationToken) => Task.CompletedTask;

    public int Starts => 0;
}
