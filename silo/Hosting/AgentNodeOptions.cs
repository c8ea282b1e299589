namespace Granary.Silo.Hosting;

/// <summary>A node this agent silo hosts, declared in configuration ("Granary:Agent:Nodes").</summary>
public sealed class NodeOptions
{
    public string Id { get; set; } = "";
    public string ResourceGroup { get; set; } = "default";
    public decimal CpuCores { get; set; }

    /// <summary>"64g", "512m" or bytes.</summary>
    public string Memory { get; set; } = "0";

    public int FgpuPerGpu { get; set; } = 1;

    /// <summary>"mps", "hami", "mig" or "none".</summary>
    public string EnforcementMode { get; set; } = "none";

    public List<GpuOptions> Gpus { get; set; } = [];
}

public sealed class GpuOptions
{
    public string Uuid { get; set; } = "";
    public string Model { get; set; } = "";
    public string Memory { get; set; } = "0";
}

/// <summary>Many identical made-up nodes for a simulation silo ("Granary:Agent:SimulatedNodes"):
/// ids Prefix1 … PrefixCount, GPU UUIDs "GPU-{node id}-{index}".</summary>
public sealed class SimulatedNodesOptions
{
    public int Count { get; set; }
    public string Prefix { get; set; } = "sim-";
    public string ResourceGroup { get; set; } = "default";
    public decimal CpuCores { get; set; } = 32;
    public string Memory { get; set; } = "256g";
    public int GpusPerNode { get; set; } = 4;
    public string GpuModel { get; set; } = "A100";
    public string GpuMemory { get; set; } = "80g";
    public int FgpuPerGpu { get; set; } = 1;
}
