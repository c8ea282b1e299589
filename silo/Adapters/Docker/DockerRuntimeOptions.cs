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

    /// <summary>The host ports apps are published on, "FIRST-LAST" (Docker picks a free one in the range; a node's
    /// firewall opens only those to the gateways). Unset: any ephemeral port.</summary>
    public string? PublishPorts { get; set; }

    /// <summary>The HostPort Docker is given: <see cref="PublishPorts"/> checked, or "" for an ephemeral port.</summary>
    public string PublishPortRange()
    {
        if (string.IsNullOrWhiteSpace(PublishPorts))
        {
            return "";
        }
        var parts = PublishPorts.Split('-');
        if (parts.Length == 2 && ushort.TryParse(parts[0], out var first) && ushort.TryParse(parts[1], out var last) && 0 < first && first <= last)
        {
            return $"{first}-{last}";
        }
        throw new InvalidOperationException($"{SectionName}:PublishPorts '{PublishPorts}' is not a port range FIRST-LAST (e.g. 32000-32767).");
    }

    /// <summary>/dev/shm size when the container spec asks for none (0).</summary>
    public long DefaultShmBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long Docker waits after SIGTERM before SIGKILL when the daemon itself stops a container.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most processes a container may have (fork-bomb guard); 0 for no limit.</summary>
    public long PidsLimit { get; set; } = 4096;

    /// <summary>The capabilities an image may ask for with its granary.capabilities label (all others
    /// stay dropped; an image asking for more is refused). Unset: <see cref="DefaultAllowedCapabilities"/>.</summary>
    public string[]? AllowedCapabilities { get; set; }

    /// <summary>Docker's own default set minus MKNOD, NET_RAW, FSETID, SETFCAP, SETPCAP, and minus DAC_OVERRIDE and
    /// FOWNER (root in a session reads and changes only what it owns or what its mode bits allow).</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedCapabilities =
        ["CHOWN", "KILL", "SETGID", "SETUID", "SYS_CHROOT", "NET_BIND_SERVICE", "AUDIT_WRITE"];

    /// <summary>Install the host firewall around session networks (iptables; the agent runs as root on the engine's
    /// host). See <see cref="SessionFirewall"/>.</summary>
    public bool Firewall { get; set; } = true;

    /// <summary>What sessions may reach beyond their node: "allow" (anything Docker routes, except
    /// <see cref="DeniedNetworks"/>) or "deny" (nothing; replies to the app proxy and ssh still pass).</summary>
    public string Outbound { get; set; } = "allow";

    /// <summary>Networks no session may open a connection to (CIDRs): cloud metadata by default; add the control
    /// plane's networks (other nodes' silo ports, the database) in a multi-node deployment.</summary>
    public string[] DeniedNetworks { get; set; } = ["169.254.0.0/16"];

    /// <summary>The IPv4 pool session networks take their subnets from, one of <see cref="SessionSubnetPrefixLength"/>
    /// each.</summary>
    public string SessionSubnets { get; set; } = "10.213.0.0/16";

    public int SessionSubnetPrefixLength { get; set; } = 28;

    public string ResolveEndpoint()
        => !string.IsNullOrWhiteSpace(Endpoint) ? Endpoint
            : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultEndpoint;
}
