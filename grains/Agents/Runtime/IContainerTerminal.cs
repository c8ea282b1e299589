namespace Granary.Agents.Runtime;

/// <summary>A process running with a TTY inside a container (docker exec -it): raw terminal bytes both ways.</summary>
public interface IContainerTerminal : IAsyncDisposable
{
    /// <summary>Reads output into buffer; 0 once the process has ended.</summary>
    ValueTask<int> Read(Memory<byte> buffer, CancellationToken cancellationToken);

    ValueTask Write(ReadOnlyMemory<byte> input, CancellationToken cancellationToken);

    Task Resize(int columns, int rows, CancellationToken cancellationToken);
}
