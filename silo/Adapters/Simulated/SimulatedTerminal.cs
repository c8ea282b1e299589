using System.Text;
using System.Threading.Channels;
using Granary.Agents.Runtime;

namespace Granary.Silo.Adapters.Simulated;

/// <summary>A terminal in a simulated container: it greets, then echoes what is written (with CR LF for Enter),
/// enough for clients to see a working round trip.</summary>
public sealed class SimulatedTerminal : IContainerTerminal
{
    private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>();
    private byte[]? _pending;
    private int _pendingOffset;

    public SimulatedTerminal(string containerId, IReadOnlyList<string> command, int columns, int rows)
    {
        Columns = columns;
        Rows = rows;
        _output.Writer.TryWrite(Encoding.UTF8.GetBytes(
            $"simulated terminal of container {containerId} ({string.Join(' ', command)}, {columns}x{rows})\r\n$ "));
    }

    public int Columns { get; private set; }
    public int Rows { get; private set; }

    public async ValueTask<int> Read(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pending is null)
        {
            if (!await _output.Reader.WaitToReadAsync(cancellationToken) || !_output.Reader.TryRead(out _pending))
            {
                return 0;
            }
            _pendingOffset = 0;
        }
        var count = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
        _pending.AsMemory(_pendingOffset, count).CopyTo(buffer);
        _pendingOffset += count;
        if (_pendingOffset == _pending.Length)
        {
            _pending = null;
        }
        return count;
    }

    public ValueTask Write(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        var echo = Encoding.UTF8.GetString(input.Span).Replace("\r", "\r\n$ ");
        if (!_output.Writer.TryWrite(Encoding.UTF8.GetBytes(echo)))
        {
            throw new InvalidOperationException("The terminal is closed.");
        }
        return ValueTask.CompletedTask;
    }

    public Task Resize(int columns, int rows, CancellationToken cancellationToken)
    {
        Columns = columns;
        Rows = rows;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _output.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
