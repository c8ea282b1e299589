namespace Granary.Silo.Adapters.Docker;

/// <summary>The Docker driver's settings, bound from "Granary:Agent:Docker".</summary>
public sealed class DockerRuntimeOptions
{
    public const string SectionName = "Granary:Agent:Docker";

    /// <summary>The private daemon that deploy/scripts/docker-up.sh starts.</summary>
    public const string DefaultEndpoint = "unix:///var/lib/granary/docker/docker.sock";

    /// <summary>The Docker Engine API endpoint. Unset: DOCKER_HOST, else <see cref="DefaultEndpoint"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The host address container ports are published on (each to an ephemeral host port).
    /// 127.0.0.1 keeps apps reachable only through this machine (the gateway's proxy, local ssh);
    /// a multi-node agent publishes on an address the gateway and users can reach.</summary>
    public string PublishHost { get; set; } = "127.0.0.1";

    /// <summary>/dev/shm size when the container spec asks for none (0).</summary>
    public long DefaultShmBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long Docker waits after SIGTERM before SIGKILL when the daemon itself stops a container.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most processes a container may have (fork-bomb guard); 0 for no limit.</summary>
    public long PidsLimit { get; set; } = 4096;

    /// <summary>The capabilities an image may ask for with its granary.capabilities label (all others
    /// stay dropped; an image asking for more is refused). Unset: <see cref="DefaultAllowedCapabilities"/>.</summary>
    public string[]? AllowedCapabilities { get; set; }

    /// <summary>Docker's own default set minus MKNOD, NET_RAW, FSETID, SETFCAP, SETPCAP.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedCapabilities =
        ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT", "NET_BIND_SERVICE", "AUDIT_WRITE"];

    public string ResolveEndpoint()
        => !string.IsNullOrWhiteSpace(Endpoint) ? Endpoint
            : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultEndpoint;
}
