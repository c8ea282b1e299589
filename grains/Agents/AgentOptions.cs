namespace Granary.Agents;

/// <summary>How an agent grain drives its node ("Granary:Agent").</summary>
public sealed class AgentOptions
{
    public const string Section = "Granary:Agent";

    /// <summary>Where the node's published container ports are reachable (from the gateway).</summary>
    public string Host { get; set; } = "127.0.0.1";

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a change of the node's allocations waits before its snapshot goes to the scheduler, so
    /// that a burst of starts and stops on one node sends one snapshot.</summary>
    public TimeSpan PushDelay { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>A session still preparing, pulling or creating its container after this long goes to ERROR.</summary>
    public TimeSpan StuckTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a container may take to stop before it is killed.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the agent looks for established SSH connections to its sessions (they count as use for a
    /// resource policy's idleTimeout).</summary>
    public TimeSpan SshProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>/dev/shm size of every container (capped at the session's memory).</summary>
    public long ShmBytes { get; set; } = 64L * 1024 * 1024;
}
