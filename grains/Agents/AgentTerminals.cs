using Granary.Agents.Runtime;

namespace Granary.Agents;

/// <summary>
/// The web terminals open into one node's containers (a tmux session as the session's user), multiplexed by
/// terminal id. Used only from its agent grain's turns, so it needs no locks; it calls the container runtime and
/// nothing else (no grain), so it adds no edge to the grain call graph.
/// </summary>
internal sealed class AgentTerminals(IContainerRuntime runtime, string agentId)
{
    private static readonly string[] TerminalCommand = ["tmux", "new-session", "-A", "-s", "main"];

    private readonly Dictionary<string, TerminalHandle> _open = [];

    public async Task<string> Open(string sessionId, string containerId, int columns, int rows)
    {
        var terminal = await runtime.OpenTerminal(containerId, TerminalCommand, Launch.LaunchSpec.SessionUser, columns, rows, CancellationToken.None);
        var terminalId = Guid.NewGuid().ToString("N");
        _open[terminalId] = new TerminalHandle(sessionId, terminal);
        return terminalId;
    }

    public async IAsyncEnumerable<byte[]> Read(string terminalId)
    {
        var terminal = Get(terminalId).Terminal;
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await terminal.Read(buffer, CancellationToken.None);
            if (read == 0)
            {
                break;
            }
            yield return buffer[..read];
        }
        await Close(terminalId);
    }

    public async Task Write(string terminalId, byte[] input) =>
        await Get(terminalId).Terminal.Write(input, CancellationToken.None);

    public Task Resize(string terminalId, int columns, int rows) =>
        Get(terminalId).Terminal.Resize(columns, rows, CancellationToken.None);

    public async Task Close(string terminalId)
    {
        if (_open.Remove(terminalId, out var open))
        {
            await open.Terminal.DisposeAsync();
        }
    }

    /// <summary>Closes every terminal of a session (its container is going away).</summary>
    public async Task CloseAll(string sessionId)
    {
        foreach (var terminalId in _open.Where(t => t.Value.SessionId == sessionId).Select(t => t.Key).ToArray())
        {
            await Close(terminalId);
        }
    }

    private TerminalHandle Get(string terminalId) =>
        _open.GetValueOrDefault(terminalId) ?? throw new KeyNotFoundException($"No terminal {terminalId} on agent {agentId}.");

    private sealed record TerminalHandle(string SessionId, IContainerTerminal Terminal);
}
