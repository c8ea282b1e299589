using Docker.DotNet.Models;
using ContainerSpec = Granary.Agents.Runtime.ContainerSpec;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// The Docker Engine create request for a container spec (pure, so what a GPU container asks of the NVIDIA runtime
/// can be checked on a machine without one): hard limits (NanoCPUs, memory with no swap, shm, pids), unprivileged
/// with no-new-privileges and every capability dropped except <paramref name="capabilities"/>, each port published
/// on an ephemeral host port, bind mounts, the IPC mode, no restart policy, and GPUs as one NVIDIA device request
/// naming their UUIDs (never a count).
/// </summary>
public static class DockerCreateParameters
{
    public static CreateContainerParameters For(ContainerSpec spec, IReadOnlyList<string> capabilities, DockerRuntimeOptions options)
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
                NanoCPUs = spec.CpuMilli * 1_000_000,
                Memory = spec.MemoryBytes,
                MemorySwap = spec.MemoryBytes,
                ShmSize = spec.ShmBytes > 0 ? spec.ShmBytes : options.DefaultShmBytes,
                PidsLimit = options.PidsLimit > 0 ? options.PidsLimit : null,
                PortBindings = spec.PublishedPorts.ToDictionary(
                    PortKey,
                    _ => (IList<PortBinding>)[new PortBinding { HostIP = options.PublishHost, HostPort = "" }]),
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
                CapAdd = capabilities.ToList(),
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
            parameters.HostConfig.IpcMode = ipcMode;
        if (spec.GpuUuids.Count > 0)
        {
            parameters.HostConfig.DeviceRequests =
            [
                new DeviceRequest { Driver = "nvidia", DeviceIDs = spec.GpuUuids.ToList(), Capabilities = [["gpu"]] },
            ];
        }
        return parameters;
    }

    /// <summary>The NVIDIA runtime mounts only the driver libraries of the capabilities asked for: compute (libcuda)
    /// and utility (nvidia-smi, NVML) unless the spec says otherwise.</summary>
    private static List<string> Environment(ContainerSpec spec)
    {
        var environment = spec.Env.ToDictionary();
        if (spec.GpuUuids.Count > 0)
            environment.TryAdd("NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
        return environment.Select(pair => $"{pair.Key}={pair.Value}").ToList();
    }

    private static string PortKey(int port) => $"{port}/tcp";
}
