using Granary.Agents.Runtime;
using Granary.Sessions;

namespace Granary.Agents.Launch;

/// <summary>Everything a session's container is built from, gathered by the agent. Mounts are already resolved to
/// host folders (creating a folder is a side effect, so the agent does it); ShmBytes is the node's /dev/shm size.</summary>
public sealed record LaunchInput(
    string SessionId,
    string NodeId,
    SessionSpec Spec,
    Placement Placement,
    SshKey? SshKey,
    AgentCapacity Capacity,
    IReadOnlyList<ImageApp> Apps,
    IReadOnlyList<BindMount> Mounts,
    long ShmBytes);

/// <summary>
/// Builds a session's <see cref="ContainerSpec"/>: a pure function of what the session asked for, what it was
/// placed on and what its image serves. Environment precedence, lowest first: the session's own env, then
/// GRANARY_SESSION_ID and the apps' env, then the GPU enforcement env, so that a session's env can neither
/// impersonate another session nor lift its GPU limits. Limits are the placement's (not the request's), and
/// /dev/shm is capped at the session's memory. The container runs as the image's user work (uid 1000), which
/// owns the SSH key files.
/// </summary>
public static class LaunchSpec
{
    public const string SessionUser = "work";
    public const int SessionUid = 1000;
    private const int OwnerReadWrite = 0b110_000_000; // 0600

    public static ContainerSpec Build(LaunchInput input)
    {
        var spec = input.Spec;
        var placement = input.Placement;
        var env = new Dictionary<string, string>(spec.Env) { ["GRANARY_SESSION_ID"] = input.SessionId };
        foreach (var (name, value) in ImageApps.Environment(input.Apps, input.SessionId))
        {
            env[name] = value;
        }
        // Last, so a session's own environment cannot lift its GPU limits.
        var gpus = GpuEnforcement.For(input.Capacity.EnforcementMode, placement.Gpus, input.Capacity.Gpus);
        foreach (var (name, value) in gpus.Env)
        {
            env[name] = value;
        }
        return new ContainerSpec(
            Name: $"granary-{input.SessionId}",
            Image: spec.Image,
            Command: spec.Command,
            Env: env,
            Labels: new Dictionary<string, string>
            {
                [ContainerLabels.Session] = input.SessionId,
                [ContainerLabels.Owner] = spec.Owner,
                [ContainerLabels.Node] = input.NodeId,
            },
            CpuMilli: placement.CpuMilli,
            MemoryBytes: placement.MemoryBytes,
            ShmBytes: Math.Min(input.ShmBytes, placement.MemoryBytes),
            PublishedPorts: ImageApps.Ports(input.Apps),
            Mounts: input.Mounts,
            GpuUuids: gpus.DeviceUuids,
            Files: SshFiles(input.SshKey));
    }

    private static ContainerFile[] SshFiles(SshKey? key) => key is null
        ? []
        :
        [
            new ContainerFile("/home/work/.ssh/authorized_keys", key.PublicKey + "\n", OwnerReadWrite, SessionUid, SessionUid),
            new ContainerFile("/home/work/id_container", key.PrivateKey, OwnerReadWrite, SessionUid, SessionUid),
        ];
}
