using Granary.Sessions;
using Orleans.Concurrency;

namespace Granary.Agents;

/// <summary>
/// One node (key: node id), pinned to the agent silo that hosts the node. Owns the node's truth:
/// capacity, allocations, containers. Confirms or refuses every placement before starting anything.
/// </summary>
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Called by the hosting agent silo at start and whenever the node's capacity changes.</summary>
    Task Register(AgentRegistration registration);

    /// <summary>Re-checks the placement against the node's own allocations; on success reserves it and starts
    /// the container in the background, reporting progress to the session grain. The SSH public key is
    /// authorized for the session user, the private key placed at /home/work/id_container; null when the
    /// session's image serves no ssh. The app secret is the
    /// token the session's http apps require (only the gateway's proxy knows it).
    /// Interleaves with the agent's other turns, so that a burst of starts on one node shares its state writes
    /// instead of queueing one write each (the reservation is made before the first await).</summary>
    [AlwaysInterleave]
    Task<StartDecision> Start(Placement placement, SessionSpec spec, SshKey? sshKey, string? appSecret = null);

    /// <summary>Stops and removes the session's container, then frees its allocation. Idempotent.</summary>
    Task Stop(string sessionId, bool force);

    Task<AgentSnapshot> GetSnapshot();

    /// <summary>Every GPU of the node: device, share map, last sample, processes with their sessions.</summary>
    Task<GpuDeviceView[]> GetGpus();

    Task<string> GetLogs(string sessionId, int tailLines);

    /// <summary>Opens a terminal (a TTY attached to the session's tmux session "main", created when missing)
    /// in the session's running container; returns the terminal id.</summary>
    Task<string> OpenTerminal(string sessionId, int columns, int rows);

    /// <summary>The terminal's output as it comes; ends when the terminal's process ends or it is closed.</summary>
    [AlwaysInterleave]
    IAsyncEnumerable<byte[]> ReadTerminal(string terminalId);

    [AlwaysInterleave]
    Task WriteTerminal(string terminalId, byte[] input);

    [AlwaysInterleave]
    Task ResizeTerminal(string terminalId, int columns, int rows);

    /// <summary>Ends the terminal's process (the tmux session lives on). Idempotent.</summary>
    [AlwaysInterleave]
    Task CloseTerminal(string terminalId);
}
