using Docker.DotNet.Models;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using ContainerSpec = Granary.Agents.Runtime.ContainerSpec;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// The Docker Engine create request for a session's container: a pure function of the launch spec, its image and
/// the node's settings, so every security setting is checked without a daemon. Hard limits (NanoCPUs, memory with
/// no swap, shm, pids), unprivileged with no-new-privileges, every capability dropped except those the image
/// declares (granary.capabilities) and the node allows, each app port published on an ephemeral host port of
/// PublishHost, bind mounts, the IPC mode the spec asks for, GPUs as one NVIDIA device request naming their UUIDs
/// (never a count), no restart policy, bounded json-file logs.
/// </summary>
public static class DockerContainerParameters
{
    /// <param name="network">The container's own network (<see cref="SessionNetworks"/>); null: Docker's default.</param>
    public static CreateContainerParameters For(
        ContainerSpec spec, RuntimeImage image, DockerRuntimeOptions options, IReadOnlyList<string> allowedCapabilities,
        string? network = null)
    {
        var parameters = new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            Env = Environment(spec),
            Labels = spec.Labels.ToDictionary(),
            ExposedPorts = spec.PublishedPorts.ToDictionary(PortKey, _ => default(EmptyStruct)),
            StopTimeout = options.StopGrace,
            HostConfig = new HostConfig
            {
                NetworkMode = network!, // null: Docker's default network
                NanoCPUs = spec.CpuMilli * 1_000_000,
                Memory = spec.MemoryBytes,
                MemorySwap = spec.MemoryBytes,
                ShmSize = spec.ShmBytes > 0 ? spec.ShmBytes : options.DefaultShmBytes,
                PidsLimit = options.PidsLimit > 0 ? options.PidsLimit : null,
                PortBindings = spec.PublishedPorts.ToDictionary(
                    PortKey,
                    _ => (IList<PortBinding>)[new PortBinding { HostIP = options.PublishHost, HostPort = options.PublishPortRange() }]),
                Mounts = spec.Mounts.Select(m => new Mount
                {
                    Type = "bind",
                    Source = m.HostPath,
                    Target = m.ContainerPath,
                    ReadOnly = m.ReadOnly,
                }).ToList(),
                Privileged = false,
                SecurityOpt = ["no-new-privileges"],
                CapDrop = ["ALL"],
                CapAdd = Capabilities(image, allowedCapabilities).ToList(),
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string> { ["max-size"] = "10m", ["max-file"] = "3" },
                },
            },
        };
        if (spec.Command is { } command)
            parameters.Cmd = command.ToList(); // the image's start script runs it as user work
        if (spec.IpcMode is { } ipcMode)
            parameters.HostConfig.IpcMode = ipcMode; // "host" for an MPS client
        if (spec.GpuUuids.Count > 0)
        {
            parameters.HostConfig.DeviceRequests =
            [
                new DeviceRequest { Driver = "nvidia", DeviceIDs = spec.GpuUuids.ToList(), Capabilities = [["gpu"]] },
            ];
        }
        return parameters;
    }

    /// <summary>The node's allow-list of capabilities, normalised (no CAP_ prefix, upper case).</summary>
    public static IReadOnlyList<string> AllowedCapabilities(DockerRuntimeOptions options) =>
        (options.AllowedCapabilities ?? DockerRuntimeOptions.DefaultAllowedCapabilities).Select(NormalizeCapability).ToList();

    private static string PortKey(int port) => $"{port}/tcp";

    private static List<string> Environment(ContainerSpec spec)
    {
        var environment = spec.Env.ToDictionary();
        // The node decides what the NVIDIA runtime gives a container, whatever the spec carries.
        if (spec.GpuUuids.Count > 0)
            environment["NVIDIA_DRIVER_CAPABILITIES"] = "compute,utility";
        else
            environment.Remove("NVIDIA_DRIVER_CAPABILITIES");
        return environment.Select(pair => $"{pair.Key}={pair.Value}").ToList();
    }

    /// <summary>The capabilities the image declares, each of which must be allowed on this node.</summary>
    private static List<string> Capabilities(RuntimeImage image, IReadOnlyList<string> allowed)
    {
        if (!image.Labels.TryGetValue(ImageLabels.Capabilities, out var declared))
            return [];
        var wanted = declared.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(NormalizeCapability).Distinct().ToList();
        var refused = wanted.Except(allowed).ToList();
        if (refused.Count > 0)
            throw new ContainerRuntimeException(
                $"Image '{image.Reference}' asks for capabilities not allowed on this node: {string.Join(", ", refused)} " +
                $"(allowed: {string.Join(", ", allowed)}; setting {DockerRuntimeOptions.SectionName}:AllowedCapabilities).");
        return wanted;
    }

    private static string NormalizeCapability(string capability)
    {
        var name = capability.Trim().ToUpperInvariant();
        return name.StartsWith("CAP_", StringComparison.Ordinal) ? name[4..] : name;
    }
}
