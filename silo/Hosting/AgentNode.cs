using Granary.Agents;
using Granary.Agents.Launch;
using Granary.Resources;
using Microsoft.Extensions.Configuration;

namespace Granary.Silo.Hosting;

/// <summary>A node hosted by this silo, with its capacity in internal units.</summary>
public sealed record AgentNode(string Id, string ResourceGroup, AgentCapacity Capacity)
{
    public const string NodesSection = "Granary:Agent:Nodes";
    public const string SimulatedNodesSection = "Granary:Agent:SimulatedNodes";

    /// <summary>The configured nodes followed by the simulated ones; ids must be unique.</summary>
    public static IReadOnlyList<AgentNode> Read(IConfiguration configuration)
    {
        var nodes = new List<AgentNode>();
        foreach (var node in configuration.GetSection(NodesSection).Get<List<NodeOptions>>() ?? [])
        {
            if (string.IsNullOrWhiteSpace(node.Id))
            {
                throw new InvalidOperationException($"{NodesSection}: every node needs an Id.");
            }
            var gpus = node.Gpus.Select((g, index) => new GpuDeviceInfo(g.Uuid, g.Model, ResourceParser.ParseMemory(g.Memory), index)).ToArray();
            nodes.Add(new AgentNode(node.Id, node.ResourceGroup, CapacityOf(node.CpuCores, node.Memory, gpus, node.FgpuPerGpu, node.EnforcementMode)));
        }

        var simulated = configuration.GetSection(SimulatedNodesSection).Get<SimulatedNodesOptions>() ?? new SimulatedNodesOptions();
        for (var n = 1; n <= simulated.Count; n++)
        {
            var id = $"{simulated.Prefix}{n}";
            var gpus = Enumerable.Range(0, simulated.GpusPerNode)
                .Select(index => new GpuDeviceInfo($"GPU-{id}-{index}", simulated.GpuModel, ResourceParser.ParseMemory(simulated.GpuMemory), index))
                .ToArray();
            nodes.Add(new AgentNode(id, simulated.ResourceGroup, CapacityOf(simulated.CpuCores, simulated.Memory, gpus, simulated.FgpuPerGpu, "none")));
        }

        var duplicate = nodes.GroupBy(n => n.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Node id '{duplicate.Key}' is declared twice.");
        }
        return nodes;
    }

    private static AgentCapacity CapacityOf(decimal cpuCores, string memory, GpuDeviceInfo[] gpus, int fgpuPerGpu, string enforcementMode)
    {
        if (cpuCores <= 0)
        {
            throw new InvalidOperationException("A node needs CpuCores > 0.");
        }
        if (!GpuEnforcement.Modes.Contains(enforcementMode))
        {
            throw new InvalidOperationException(
                $"EnforcementMode '{enforcementMode}' is not one of {string.Join(", ", GpuEnforcement.Modes)}.");
        }
        return new AgentCapacity((long)(cpuCores * 1000), ResourceParser.ParseMemory(memory), gpus, fgpuPerGpu, enforcementMode);
    }
}
