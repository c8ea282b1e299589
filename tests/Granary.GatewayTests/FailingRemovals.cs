using Granary.Agents.Runtime;

namespace Granary.GatewayTests;

/// <summary>A container runtime whose next removals fail as a node's broken engine would; otherwise the inner one.</summary>
public sealed class FailingRemovals(IContainerRuntime inner) : IContainerRuntime
{
    private int _failures;

    /// <summary>The next count removals throw <see cref="ContainerRuntimeException"/>.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);

    public string Name => inner.Name;

    public Task Remove(string containerId, CancellationToken cancellationToken)
        => Interlocked.Decrement(ref _failures) >= 0
            ? throw new ContainerRuntimeException($"Docker could not remove container {containerId}: engine broken (test)")
            : inner.Remove(containerId, cancellationToken);

    public Task<IReadOnlyList<RuntimeImage>> ListImages(CancellationToken cancellationToken) => inner.ListImages(cancellationToken);

    public Task<RuntimeImage?> FindImage(string image, CancellationToken cancellationToken) => inner.FindImage(image, cancellationToken);

    public Task<string> Create(ContainerSpec spec, CancellationToken cancellationToken) => inner.Create(spec, cancellationToken);

    public Task Start(string containerId, CancellationToken cancellationToken) => inner.Start(containerId, cancellationToken);

    public Task<ContainerInfo?> Inspect(string containerId, CancellationToken cancellationToken) => inner.Inspect(containerId, cancellationToken);

    public Task<int> Wait(string containerId, CancellationToken cancellationToken) => inner.Wait(containerId, cancellationToken);

    public Task<string> Logs(string containerId, int tailLines, CancellationToken cancellationToken) => inner.Logs(containerId, tailLines, cancellationToken);

    public Task Stop(string containerId, TimeSpan grace, CancellationToken cancellationToken) => inner.Stop(containerId, grace, cancellationToken);

    public Task<IContainerTerminal> OpenTerminal(string containerId, IReadOnlyList<string> command, string user, int columns, int rows, CancellationToken cancellationToken)
        => inner.OpenTerminal(containerId, command, user, columns, rows, cancellationToken);

    public Task<IReadOnlyList<ContainerInfo>> List(IReadOnlyDictionary<string, string> labelFilter, CancellationToken cancellationToken)
        => inner.List(labelFilter, cancellationToken);

    public Task<int> RemoveLeftovers(IReadOnlyDictionary<string, string> labelFilter, IReadOnlySet<string> keep, CancellationToken cancellationToken)
        => inner.RemoveLeftovers(labelFilter, keep, cancellationToken);
}
