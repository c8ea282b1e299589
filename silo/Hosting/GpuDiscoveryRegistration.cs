using Granary.Agents.Gpu;
using Granary.Silo.Adapters.Nvml;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Hosting;

/// <summary>
/// Where an agent silo's nodes get their GPUs ("Granary:Agent:Gpus:Discovery"):
/// <c>configured</c> (default): the GPUs declared under Granary:Agent:Nodes[].Gpus, with no live metrics;
/// <c>nvml</c>: the machine's GPUs as NVML reports them (library: Granary:Nvml:LibraryPath, default the driver's
/// libnvidia-ml.so.1), with live metrics; zero GPUs when there is no driver. NVML describes the machine the silo
/// runs on, so it needs exactly one node; GPUs declared for that node are replaced by the discovered ones.
/// </summary>
public static class GpuDiscoveryRegistration
{
    public const string DiscoveryKey = "Granary:Agent:Gpus:Discovery";

    /// <summary>Registers the nodes this silo hosts (with their GPUs) and, for nvml, the <see cref="IGpuDiscovery"/>
    /// the agent grains read live metrics from.</summary>
    public static IServiceCollection AddGranaryNodes(this IServiceCollection services, IConfiguration configuration, IReadOnlyList<AgentNode> nodes)
    {
        var discovery = configuration[DiscoveryKey] ?? "configured";
        switch (discovery)
        {
            case "configured":
                services.AddSingleton(nodes);
                break;
            case "nvml":
                if (nodes.Count != 1)
                {
                    throw new InvalidOperationException(
                        $"{DiscoveryKey}=nvml discovers the GPUs of the machine the silo runs on: declare exactly one node " +
                        $"in {AgentNode.NodesSection} (and no simulated nodes); this silo declares {nodes.Count}.");
                }
                var node = nodes[0];
                services.AddOptions<NvmlOptions>().Bind(configuration.GetSection(NvmlOptions.SectionName));
                services.AddSingleton(sp => new NvmlGpuDiscovery(
                    sp.GetRequiredService<IOptions<NvmlOptions>>().Value, sp.GetRequiredService<ILogger<NvmlGpuDiscovery>>()));
                services.AddSingleton<IGpuDiscovery>(sp => sp.GetRequiredService<NvmlGpuDiscovery>());
                services.AddSingleton<IReadOnlyList<AgentNode>>(sp =>
                {
                    var gpus = sp.GetRequiredService<IGpuDiscovery>().Discover().ToArray();
                    return [node with { Capacity = node.Capacity with { Gpus = gpus } }];
                });
                break;
            default:
                throw new InvalidOperationException($"{DiscoveryKey} '{discovery}' is not supported; use configured or nvml.");
        }
        return services;
    }
}
