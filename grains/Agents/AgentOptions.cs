using Granary.Agents.Liveness;

namespace Granary.Agents;

/// <summary>How an agent grain drives its node ("Granary:Agent").</summary>
public sealed class AgentOptions
{
    public const string Section = "Granary:Agent";

    /// <summary>Where the node's published container ports are reachable (from the gateway).</summary>
    public string Host { get; set; } = "127.0.0.1";

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each GPU's utilisation, memory and processes are sampled (NVML or a mock source).</summary>
    public TimeSpan GpuSampleInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>A node with no liveness heartbeat for this long is lost: nothing new is placed on it and its
    /// sessions say their node is unreachable (read by the managers).</summary>
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a lost node may take to come back before its sessions end as ERROR "agent-lost".</summary>
    public TimeSpan LostGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each node tells the managers it is alive (well under LostAfter).</summary>
    public TimeSpan LivenessInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The most liveness heartbeats a second the managers take: a cluster of more than this many nodes per
    /// LivenessInterval stretches each node's interval, and LostAfter in proportion (Nomad's
    /// max_heartbeats_per_second). At the default, 1,000 nodes beat every 5 s and are lost after 25 s.</summary>
    public int MaxHeartbeatsPerSecond { get; set; } = 200;

    /// <summary>The heartbeat interval and LostAfter for a cluster of a given size.</summary>
    public HeartbeatPace HeartbeatPace => new(LivenessInterval, LostAfter, MaxHeartbeatsPerSecond);

    /// <summary>How long an agent silo keeps claiming a node id (or GPU UUID) that a live silo holds before it gives
    /// up and stops: long enough for a restarted node's previous silo to be declared dead.</summary>
    public TimeSpan ClaimPatience { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a change of the node's allocations waits before its snapshot goes to the scheduler, so
    /// that a burst of starts and stops on one node sends one snapshot.</summary>
    public TimeSpan PushDelay { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>A session still preparing, pulling or creating its container after this long goes to ERROR.</summary>
    public TimeSpan StuckTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a started session's apps may take to answer their readiness probe before they are failed.</summary>
    public TimeSpan AppReadyTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Time between two readiness probes of an app that does not answer yet.</summary>
    public TimeSpan AppProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long one readiness probe may take.</summary>
    public TimeSpan AppProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a container may take to stop before it is killed.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the agent looks for established SSH connections to its sessions (they count as use for a
    /// resource policy's idleTimeout).</summary>
    public TimeSpan SshProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>/dev/shm size of every container (capped at the session's memory).</summary>
    public long ShmBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Where the node's GPU enforcement lives on the host ("Granary:Agent:Enforcement").</summary>
    public Launch.GpuEnforcementOptions Enforcement { get; set; } = new();
}
