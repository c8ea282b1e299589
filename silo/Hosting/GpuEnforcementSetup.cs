using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Silo.Adapters.Docker;
using Granary.Silo.Adapters.Mps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Hosting;

/// <summary>
/// Prepares the host for the enforcement modes of the nodes this agent silo hosts, before any node registers:
/// <c>hami</c> needs the operator's libvgpu.so (a missing one stops the silo with the setting to fix) and the
/// ld.so.preload file every hami container mounts; <c>mps</c> needs the pipe and log directories, and the MPS
/// control daemon, which the silo runs itself when <see cref="GpuEnforcementOptions.ManageMpsDaemon"/> is on, and a
/// Docker engine without user namespaces.
/// </summary>
public sealed class GpuEnforcementSetup(
    IReadOnlyList<AgentNode> nodes,
    IOptions<AgentOptions> agentOptions,
    IMpsDaemon mps,
    IServiceProvider services,
    ILogger<GpuEnforcementSetup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GpuEnforcementSetup), ServiceLifecycleStage.RuntimeInitialize, Start, Stop);

    private async Task Start(CancellationToken cancellationToken)
    {
        var options = agentOptions.Value.Enforcement;
        var modes = nodes.Where(n => n.Capacity.Gpus.Length > 0).Select(n => n.Capacity.EnforcementMode).ToHashSet();
        if (modes.Contains("hami"))
        {
            PrepareHami(options);
            logger.LogInformation("hami: {Library} preloaded through {Preload}", options.HamiLibrary, options.HamiPreloadFile);
        }
        if (modes.Contains("mps"))
        {
            if (services.GetService<DockerContainerRuntime>() is { } docker)
                await RefuseRemappedEngine(docker, cancellationToken);
            Directory.CreateDirectory(options.MpsPipeDirectory);
            Directory.CreateDirectory(options.MpsLogDirectory);
            if (options.ManageMpsDaemon)
            {
                var gpus = nodes.Where(n => n.Capacity.EnforcementMode == "mps").SelectMany(n => n.Capacity.Gpus).Select(g => g.Uuid).ToArray();
                await mps.Start(gpus, cancellationToken);
            }
        }
    }

    private Task Stop(CancellationToken cancellationToken) => mps.Stop(cancellationToken);

    /// <summary>An MPS client shares the host's IPC namespace, which an engine with user namespaces refuses to every
    /// container outside the host's user namespace (and there the remapped image files belong to the wrong users):
    /// such an engine stops the silo at start rather than failing every MPS session.</summary>
    /// <exception cref="InvalidOperationException">The engine remaps users.</exception>
    public static async Task RefuseRemappedEngine(DockerContainerRuntime docker, CancellationToken cancellationToken)
    {
        if (await docker.RootOnHost(cancellationToken) != (0, 0))
        {
            throw new InvalidOperationException(
                $"A node enforces GPU fractions with mps, but the Docker engine at {docker.Endpoint} runs with user " +
                "namespaces (--userns-remap), which cannot give a container the host's IPC namespace an MPS client " +
                "needs: run this node's engine without user namespaces (deploy/scripts/docker-up.sh: GRANARY_DOCKERD_ARGS=\"\").");
        }
    }

    /// <summary>Checks the library and writes the preload file (its content is the library's path in the container).</summary>
    /// <exception cref="InvalidOperationException">No library configured, or none at the configured path.</exception>
    public static void PrepareHami(GpuEnforcementOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HamiLibrary) || !File.Exists(options.HamiLibrary))
        {
            throw new InvalidOperationException(
                $"A node enforces GPU fractions with hami, but Granary:Agent:Enforcement:HamiLibrary " +
                $"{(string.IsNullOrWhiteSpace(options.HamiLibrary) ? "is not set" : $"names {options.HamiLibrary}, which does not exist")}: " +
                "point it at the host's HAMi-core libvgpu.so.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.HamiPreloadFile))!);
        File.WriteAllText(options.HamiPreloadFile, GpuEnforcement.HamiPreloadContent);
    }
}
