using Granary.Agents.Gpu;
using Granary.Silo.Adapters.MockGpu;
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
/// runs on, so it needs exactly one node; GPUs declared for that node are replaced by the discovered ones;
/// <c>mock</c>: made-up GPUs from the JSON file Granary:Agent:Gpus:MockFile (development and demos), one node too.
/// </summary>
public static class GpuDiscoveryRegistration
{
    public const string DiscoveryKey = "Granary:Agent:Gpus:Discovery";
    public const string MockFileKey = "Granary:Agent:Gpus:MockFile";

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
                var node = SingleNode(nodes, discovery);
                services.AddOptions<NvmlOptions>().Bind(configuration.GetSection(NvmlOptions.SectionName));
                services.AddSingleton(sp => new NvmlGpuDiscovery(
                    sp.GetRequiredService<IOptions<NvmlOptions>>().Value, sp.GetRequiredService<ILogger<NvmlGpuDiscovery>>()));
                services.AddSingleton<IGpuDiscovery>(sp => sp.GetRequiredService<NvmlGpuDiscovery>());
                services.AddSingleton<IReadOnlyList<AgentNode>>(sp => [Discovered(node, sp, "nvml")]);
                break;
            case "mock":
                var mockNode = SingleNode(nodes, discovery);
                var file = configuration[MockFileKey];
                if (string.IsNullOrWhiteSpace(file))
                {
                    throw new InvalidOperationException($"{DiscoveryKey}=mock needs {MockFileKey}: a JSON file of made-up GPUs (deploy/gpus/mock-h100.json).");
                }
                var mock = new MockGpuDiscovery(file); // read now: a bad file stops the silo at start, saying what is wrong
                services.AddSingleton<IGpuDiscovery>(mock);
                services.AddSingleton<IReadOnlyList<AgentNode>>(sp => [Discovered(mockNode, sp, "mock")]);
                break;
            default:
                throw new InvalidOperationException($"{DiscoveryKey} '{discovery}' is not supported; use configured, nvml or mock.");
        }
        return services;
    }

    /// <summary>nvml and mock describe one machine's GPUs: they need exactly one node.</summary>
    private static AgentNode SingleNode(IReadOnlyList<AgentNode> nodes, string discovery) => nodes.Count == 1
        ? nodes[0]
        : throw new InvalidOperationException(
            $"{DiscoveryKey}={discovery} gives the GPUs of one machine: declare exactly one node " +
            $"in {AgentNode.NodesSection} (and no simulated nodes); this silo declares {nodes.Count}.");

    /// <summary>The node with the discovered GPUs in place of any it declared.</summary>
    private static AgentNode Discovered(AgentNode node, IServiceProvider services, string source) =>
        node with { Capacity = node.Capacity with { Gpus = [.. services.GetRequiredService<IGpuDiscovery>().Discover()], GpuSource = source } };
}
