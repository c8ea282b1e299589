namespace Granary.Agents.Launch;

/// <summary>
/// Where a node's GPU enforcement lives on the host ("Granary:Agent:Enforcement"); the mode itself is per node
/// (<see cref="AgentCapacity.EnforcementMode"/>).
/// </summary>
public sealed class GpuEnforcementOptions
{
    /// <summary>mps: the MPS control daemon's pipe directory on the host, mounted into every GPU container.</summary>
    public string MpsPipeDirectory { get; set; } = "/run/granary/mps/pipe";

    /// <summary>mps: the control daemon's log directory on the host (never mounted into containers).</summary>
    public string MpsLogDirectory { get; set; } = "/run/granary/mps/log";

    /// <summary>mps: whether the agent silo prepares the node itself (compute mode exclusive-process, an MPS control
    /// daemon it starts, health-checks and restarts). Off: the operator runs the daemon with the pipe directory above.</summary>
    public bool ManageMpsDaemon { get; set; }

    /// <summary>mps (managed): the control daemon executable.</summary>
    public string MpsControl { get; set; } = "nvidia-cuda-mps-control";

    /// <summary>mps (managed): how often the agent silo checks that the control daemon answers (and restarts it).</summary>
    public TimeSpan MpsHealthInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>mps (managed): the tool that sets each device's compute mode to exclusive-process.</summary>
    public string NvidiaSmi { get; set; } = "nvidia-smi";

    /// <summary>hami: the operator-supplied HAMi-core library (libvgpu.so) on the host. Required on a hami node.</summary>
    public string? HamiLibrary { get; set; }

    /// <summary>hami: the file mounted as the container's /etc/ld.so.preload; the agent silo writes it at start.</summary>
    public string HamiPreloadFile { get; set; } = "/run/granary/hami/ld.so.preload";
}
